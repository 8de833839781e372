import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { createApp } from '../../api/app';
import type { AppDeps } from '../../api/deps';
import { SimcloudAdmin } from '../../cloud/simcloud-client';
import { startSimcloud, type RunningSimcloud, type SimcloudOptions } from '../../cloud/simcloud';
import { seedDefaults } from '../../db/seed';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createMigratedDb } from './database';
import type { TestResponse } from './http';

// Activity retries are expected in these tests (injected faults); keep the SDK's log to errors.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed in this process
}

export interface StackOptions {
  simcloud?: Partial<Omit<SimcloudOptions, 'databaseUrl'>>;
  /** Start no worker in this process (a test runs its own, e.g. as a child process it can kill). */
  noWorker?: boolean;
  config?: Record<string, string>;
}

/**
 * One isolated platform for a test file: its own database, a real simcloud over HTTP, a real
 * worker on its own task queue of the shared Temporal dev server, and the real API app.
 */
export async function startStack(options: StackOptions = {}) {
  const suffix = randomBytes(4).toString('hex');
  const database = await createMigratedDb();
  const simcloud: RunningSimcloud = await startSimcloud({
    databaseUrl: database.url,
    port: 0,
    transitionMs: 30,
    jitterMs: 20,
    leaseDelayMs: 100,
    ...options.simcloud,
  });
  const env: Record<string, string> = {
    PROVISIO_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: `test-${suffix}`,
    WORKFLOW_ID_PREFIX: `t${suffix}-`,
    SIMCLOUD_URL: simcloud.url,
    CLOUD_POLL_MS: '25',
    SYNC_WAIT_MS: '30000',
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    ...options.config,
  };
  const config: Config = loadConfig(env);
  const logger = createLogger('test', 'silent');
  await seedDefaults(database.db, config);

  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const deps: AppDeps = { config, db: database.db, temporal, logger };
  const app = createApp(deps);
  const cloud = new SimcloudAdmin(simcloud.url);

  let worker: { stop(): Promise<void> } | undefined;
  async function startWorker() {
    const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const w = await Worker.create({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: createActivities({ db: database.db, cloud, config, logger, temporal }),
    });
    const running = w.run();
    return {
      async stop() {
        w.shutdown();
        await running;
        await nativeConnection.close();
      },
    };
  }
  if (!options.noWorker) worker = await startWorker();

  return {
    app,
    /** The API app, answering as it would over HTTP. */
    request: (path: string, init?: RequestInit): Promise<TestResponse> => Promise.resolve(app.request(path, init)),
    db: database.db,
    config,
    env,
    temporal,
    cloud,
    simcloudUrl: simcloud.url,
    /** Runs one workflow to completion on this stack's task queue. */
    async runWorkflow<T>(type: string, args: unknown[] = []): Promise<T> {
      return temporal.workflow.execute(type, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: `${config.WORKFLOW_ID_PREFIX}${type}-${randomBytes(3).toString('hex')}`,
        args,
        workflowRunTimeout: '2m',
      }) as Promise<T>;
    },
    async stop() {
      await worker?.stop();
      await connection.close();
      await simcloud.close();
      await database.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
