import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/connection';
import type { Principal } from './auth/principal';

/** What every API surface is built from. The API never talks to the cloud backend. */
export interface AppDeps {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
}

/** Hono environment shared by every surface. */
export type AppEnv = {
  Variables: {
    principal: Principal;
    requestId: string;
    logger: Logger;
  };
};
