import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { CloudBackend } from '../cloud/contract';
import type { Db } from '../db/connection';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { operationMetricsSinks, WORKFLOW_INTERCEPTOR_MODULES } from './operation-metrics';
import { WORKER_TUNING } from './tuning';

export interface PlatformWorkerDeps {
  connection: NativeConnection;
  config: Config;
  db: Db;
  cloud: CloudBackend;
  logger: Logger;
  /** For activities that start operations like any client (supervisors). */
  temporal: Client;
}

/**
 * The one worker of the platform: every workflow and activity on the configured task queue.
 * worker/main.ts runs it as a process; tests and benches run it in theirs. `options` overrides
 * the tuning (the ceiling bench compares settings with it).
 */
export function createPlatformWorker(
  { connection, config, db, cloud, logger, temporal }: PlatformWorkerDeps,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(config.WORKFLOW_BUNDLE_PATH
      ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } }
      : {
          workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
          // Prebuilt bundles include them at build time: bundleWorkflowCode({ workflowInterceptorModules }).
          interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
        }),
    sinks: operationMetricsSinks(),
    activities: createActivities({ db, cloud, config, logger, temporal }),
    ...WORKER_TUNING,
    ...options,
  });
}
