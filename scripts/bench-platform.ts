import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { CeilingTarget } from './bench-ceiling';
import { startInProcessPlatform, type InProcessPlatform, type InProcessPlatformOptions } from './in-process-platform';
import { ensureTemporalCli } from './install-temporal';
import { startTemporalDevServer } from './temporal-dev-server';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * The platform a domain bench runs on: its own Temporal dev server and throwaway database, and the
 * API, worker and simcloud in this process (SDK logs at ERROR so figures stay readable).
 * `ceiling` runs empty workflows (bench-ceiling.ts) on the same server, worker and client.
 * `stop()` tears all of it down.
 */
export async function startBenchPlatform(
  opts: Omit<InProcessPlatformOptions, 'databaseUrl' | 'temporalAddress'> & { databaseUrl?: string; databasePrefix?: string },
): Promise<{ platform: InProcessPlatform; ceiling: CeilingTarget; stop(): Promise<void> }> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
  const { databaseUrl, databasePrefix, ...platformOptions } = opts;
  const temporal = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), port: 0, uiPort: false, logLevel: 'error', onLine: () => {} });
  const database = await createThrowawayDatabase(databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, databasePrefix ?? 'provisio_bench');
  const platform = await startInProcessPlatform({ ...platformOptions, databaseUrl: database.url, temporalAddress: temporal.address });
  return {
    platform,
    ceiling: {
      client: platform.temporal,
      taskQueue: platform.config.TEMPORAL_TASK_QUEUE,
      workflowIdPrefix: platform.config.WORKFLOW_ID_PREFIX,
      temporalPid: temporal.process.pid,
    },
    async stop() {
      await platform.stop();
      await database.drop();
      await temporal.stop();
    },
  };
}
