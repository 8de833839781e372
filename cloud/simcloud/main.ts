import { z } from 'zod';
import { createLogger } from '../../lib/logger';
import { DEV_CREDENTIALS, startSimcloud } from './index';

/** Production entry: `npm run simcloud`. Configuration comes from the environment only. */
const int = (min: number) => z.coerce.number().int().min(min);
const envSchema = z.object({
  DATABASE_URL: z.string({ error: 'is required (e.g. postgres://postgres@127.0.0.1:5432/provisio)' }).min(1, 'is required'),
  SIMCLOUD_PORT: int(0).max(65535).default(4100),
  SIMCLOUD_HOST: z.string().min(1).default('127.0.0.1'),
  SIMCLOUD_TRANSITION_MS: int(0).default(1500),
  SIMCLOUD_JITTER_MS: int(0).default(500),
  SIMCLOUD_LEASE_DELAY_MS: int(0).default(2000),
  SIMCLOUD_POD_LOG_INTERVAL_MS: int(1).default(5000),
  SIMCLOUD_BUILD_STEP_MS: int(0).default(300),
  SIMCLOUD_MAX_CONCURRENT_BUILDS: int(1).max(1000).default(8),
  SIMCLOUD_GIT_TIMEOUT_MS: int(1000).default(120_000),
  SIMCLOUD_GIT_SSH_COMMAND: z.string().min(1).default('ssh'),
  SIMCLOUD_USERNAME: z.string().min(1).default(DEV_CREDENTIALS.username),
  SIMCLOUD_PASSWORD: z.string().min(1).default(DEV_CREDENTIALS.password),
  SIMCLOUD_SEED: int(0).max(2 ** 32 - 1).optional(),
  SIMCLOUD_HOSTS_PER_REGION: int(0).max(100_000).optional(),
  SIMCLOUD_REGIONS: z
    .string()
    .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'region names are lower-case letters, digits and dashes')).min(1, 'needs at least one region'))
    .optional(),
});

const logger = createLogger('simcloud');
const parsed = envSchema.safeParse(process.env);
if (!parsed.success) {
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  logger.fatal(`simcloud: invalid environment: ${problems}`);
  process.exit(2);
}
const env = parsed.data;

const sim = await startSimcloud({
  databaseUrl: env.DATABASE_URL,
  port: env.SIMCLOUD_PORT,
  host: env.SIMCLOUD_HOST,
  transitionMs: env.SIMCLOUD_TRANSITION_MS,
  jitterMs: env.SIMCLOUD_JITTER_MS,
  leaseDelayMs: env.SIMCLOUD_LEASE_DELAY_MS,
  podLogIntervalMs: env.SIMCLOUD_POD_LOG_INTERVAL_MS,
  buildStepMs: env.SIMCLOUD_BUILD_STEP_MS,
  maxConcurrentBuilds: env.SIMCLOUD_MAX_CONCURRENT_BUILDS,
  gitTimeoutMs: env.SIMCLOUD_GIT_TIMEOUT_MS,
  gitSshCommand: env.SIMCLOUD_GIT_SSH_COMMAND,
  username: env.SIMCLOUD_USERNAME,
  password: env.SIMCLOUD_PASSWORD,
  seed: env.SIMCLOUD_SEED,
  topology: {
    ...(env.SIMCLOUD_REGIONS ? { regions: env.SIMCLOUD_REGIONS } : {}),
    ...(env.SIMCLOUD_HOSTS_PER_REGION !== undefined ? { hostsPerRegion: env.SIMCLOUD_HOSTS_PER_REGION } : {}),
  },
  logger,
});

// Graceful shutdown: stop accepting, flush writes; pending transitions resume at the next start.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'simcloud: shutting down');
    sim.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'simcloud: shutdown failed');
        process.exit(1);
      },
    );
  });
}
