import { APP_SECRET_PURPOSES, type EnvVar } from '../../db/apps';
import { secretKey, type Config } from '../../lib/config';
import { openSecret, sealSecret } from '../../lib/secrets';

/**
 * The apps domain's secrets at rest: a TURN password, a supporting service's env var values and
 * git private keys are sealed for their own purpose; activities (and the API's views) open them,
 * so workflow histories and logs only ever see row ids.
 */
export type SecretKind = keyof typeof APP_SECRET_PURPOSES;

export const seal = (config: Config, kind: SecretKind, plain: string) => sealSecret(plain, secretKey(config), APP_SECRET_PURPOSES[kind]);
export const unseal = (config: Config, kind: SecretKind, sealed: string) => openSecret(sealed, secretKey(config), APP_SECRET_PURPOSES[kind]);

export const sealEnv = (config: Config, envVars: EnvVar[]) => seal(config, 'serviceEnv', JSON.stringify(envVars));
export const unsealEnv = (config: Config, sealed: string): EnvVar[] => JSON.parse(unseal(config, 'serviceEnv', sealed)) as EnvVar[];
