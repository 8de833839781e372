import type { Client } from '@temporalio/client';
import type { CloudBackend } from '../cloud/contract';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/connection';

/** What activities are built from; the worker creates one set per process. */
export interface ActivityDeps {
  db: Db;
  cloud: CloudBackend;
  config: Config;
  logger: Logger;
  /** For supervisors that start operations like any other client (see api/operations/start.ts). */
  temporal: Client;
}
