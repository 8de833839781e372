import type { Client } from '@temporalio/client';
import type { CloudBackend, RegionEndpoint, RegionFlavorCatalog } from '../cloud/contract';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Db } from '../db/connection';
import type { Principal } from './auth/principal';

/**
 * The only calls the API may make to the cloud backend: live reads that a workflow would only
 * slow down (following a log, as `kubectl logs` goes through the API server; reading a region's
 * catalog or checking its credentials). Every change goes through a workflow.
 */
export interface CloudReader {
  readPodLog: CloudBackend['readPodLog'];
  readBuildLog: CloudBackend['readBuildLog'];
  getMetrics: CloudBackend['getMetrics'];
  regionCatalog(endpoint: RegionEndpoint): Pick<RegionFlavorCatalog, 'verifyCredentials' | 'listFlavors' | 'getFlavor'>;
}

/** What every API surface is built from. */
export interface AppDeps {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
  cloud: CloudReader;
}

/** Hono environment shared by every surface. */
export type AppEnv = {
  Variables: {
    principal: Principal;
    requestId: string;
    logger: Logger;
  };
};
