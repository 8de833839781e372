import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import type { AppDeps } from '../api/deps';
import { SimcloudAdmin } from '../cloud/simcloud-client';
import { startSimcloud, type SimcloudOptions } from '../cloud/simcloud';
import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { seedDefaults } from '../db/seed';
import { loadConfig, type Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { withArgs } from '../lib/operations';
import { createPlatformWorker } from '../worker/factory';
import { ensureFlavorReconcileSchedule } from '../worker/schedules';

export interface InProcessPlatformOptions {
  /** An empty database of its own; migrated and seeded here. */
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace?: string;
  /** A prebuilt workflow bundle; without it the worker bundles workflows/index.ts. */
  workflowBundlePath?: string;
  simcloud?: Partial<Omit<SimcloudOptions, 'databaseUrl'>>;
  /** Start no worker in this process (e.g. a test runs its own child process it can kill). */
  noWorker?: boolean;
  /** Extra environment (lib/config.ts names). */
  config?: Record<string, string>;
}

/**
 * The whole platform in one process, as tests and benchmarks use it: a real simcloud over HTTP on
 * a random port, a real worker on its own task queue, and the real API app. The Temporal server
 * and Postgres are the caller's; workflow IDs and the task queue get a unique prefix so several
 * platforms can share one Temporal namespace.
 */
export async function startInProcessPlatform(opts: InProcessPlatformOptions) {
  const suffix = randomBytes(4).toString('hex');
  const simcloud = await startSimcloud({
    databaseUrl: opts.databaseUrl,
    port: 0,
    transitionMs: 30,
    jitterMs: 20,
    leaseDelayMs: 100,
    ...opts.simcloud,
  });
  const env: Record<string, string> = {
    PROVISIO_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: opts.temporalNamespace ?? 'default',
    TEMPORAL_TASK_QUEUE: `test-${suffix}`,
    WORKFLOW_ID_PREFIX: `t${suffix}-`,
    SIMCLOUD_URL: simcloud.url,
    CLOUD_POLL_MS: '25',
    SYNC_WAIT_MS: '30000',
    ...(opts.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: opts.workflowBundlePath } : {}),
    ...opts.config,
  };
  const config: Config = loadConfig(env);
  const logger = createLogger('platform', config.LOG_LEVEL);
  const db = createDb(opts.databaseUrl);
  await migrateToLatest(db);
  await seedDefaults(db, config);

  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const cloud = new SimcloudAdmin(simcloud.url);
  const deps: AppDeps = { config, db, temporal, logger, cloud };
  const app = createApp(deps);

  let worker: { stop(): Promise<void> } | undefined;
  if (!opts.noWorker) {
    const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const w = await createPlatformWorker({ connection: nativeConnection, config, db, cloud, logger, temporal });
    const running = w.run();
    worker = {
      async stop() {
        w.shutdown();
        await running;
        await nativeConnection.close();
      },
    };
  }

  // The flavor reconcile schedule only for a platform that asks for it (tests of drift repair).
  const flavorReconcile = opts.config?.FLAVORS_RECONCILE_INTERVAL_MS ? await ensureFlavorReconcileSchedule(temporal, config) : undefined;

  return {
    app,
    db,
    config,
    /** The environment a worker process for this platform needs (lib/config.ts names). */
    env,
    temporal,
    cloud,
    simcloudUrl: simcloud.url,
    /** Runs one workflow to completion on this platform's task queue. */
    runWorkflow<W extends Workflow>(workflow: W, ...args: Parameters<W>): Promise<WorkflowResultType<W>> {
      return temporal.workflow.execute(
        workflow,
        withArgs<W>(args, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: `${config.WORKFLOW_ID_PREFIX}${workflow.name}-${randomBytes(3).toString('hex')}`,
          workflowRunTimeout: '2m',
        }),
      );
    },
    async stop() {
      await flavorReconcile?.delete();
      await worker?.stop();
      await connection.close();
      await simcloud.close();
      await db.destroy();
    },
  };
}

export type InProcessPlatform = Awaited<ReturnType<typeof startInProcessPlatform>>;
