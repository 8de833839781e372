import { createServer } from 'node:http';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit, requireDatabaseUrl } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { SimcloudClient } from '../cloud/simcloud-client';
import { createPlatformWorker } from './factory';
import { ensureFlavorReconcileSchedule, ensureInventorySchedule, ensureReliabilitySchedules } from './schedules';
import { PinoTemporalLogger } from './temporal-logger';
import { ensureEventPump } from '../activities/webhooks';
import { prepareWorkerMetrics } from './metrics-server';

const config = loadConfigOrExit();
const logger = createLogger('worker', config.LOG_LEVEL);
// Signals are handled below (one place decides how the process stops), not by the SDK's runtime.
const workerMetrics = await prepareWorkerMetrics(config);
Runtime.install({ logger: new PinoTemporalLogger(logger), shutdownSignals: [], ...workerMetrics.runtimeOptions });
const db = createDb(requireDatabaseUrl(config));
await migrateToLatest(db);
const cloud = new SimcloudClient(config.SIMCLOUD_URL);

const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const client = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });

/**
 * Graceful shutdown (SIGTERM, as Kubernetes and Compose send it): the worker stops polling, lets
 * activities in flight finish for up to SHUTDOWN_GRACE_MS, then cancels the rest; a cancelled
 * attempt fails and Temporal retries it on another worker. Workflow tasks are never lost (their
 * state lives in Temporal). An activity that ignores cancellation is given a few more seconds,
 * then the process exits anyway and the attempt times out on the server.
 */
const graceMs = config.SHUTDOWN_GRACE_MS;
const forceMs = graceMs + 5_000;
const worker = await createPlatformWorker(
  { connection, config, db, cloud, logger, temporal: client },
  { shutdownGraceTime: graceMs, shutdownForceTime: forceMs },
);

/**
 * WORKER_HEALTH_PORT: /healthz (the process and its worker are alive) and /readyz (the worker
 * polls; 503 once it drains), for Kubernetes probes and Compose health checks.
 */
const health = config.WORKER_HEALTH_PORT
  ? createServer((req, res) => {
      const state = worker.getState();
      const ok = req.url === '/readyz' ? state === 'RUNNING' : req.url === '/healthz' ? state !== 'FAILED' : undefined;
      res.writeHead(ok === undefined ? 404 : ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', worker: state }));
    }).listen(config.WORKER_HEALTH_PORT, config.HOST)
  : undefined;

await ensureInventorySchedule(client, config).catch((err) => logger.warn({ err: String(err) }, 'could not create the inventory schedule'));
await ensureFlavorReconcileSchedule(client, config).catch((err) => logger.warn({ err: String(err) }, 'could not create the flavor reconcile schedule'));
await ensureReliabilitySchedules(client, config).catch((err) => logger.warn({ err: String(err) }, 'could not create the supervisor and sweeper schedules'));
await ensureEventPump({ config, temporal: client }).catch((err) => logger.warn({ err: String(err) }, 'could not start the event pump'));
const metricsServer = await workerMetrics.serve(logger);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, graceMs }, 'worker stopping: no new tasks, activities in flight get the grace period');
  if (worker.getState() === 'RUNNING') worker.shutdown();
  // Last resort, should the SDK itself hang: exit after the force time and a margin.
  setTimeout(() => {
    logger.error('worker did not stop in time; exiting');
    process.exit(1);
  }, forceMs + 10_000).unref();
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
let exitCode = 0;
try {
  if (!stopping) await worker.run(); // a SIGTERM during start-up: nothing runs yet, just stop
} catch (err) {
  // GracefulShutdownPeriodExpiredError: activities ignored cancellation; Temporal retries them elsewhere.
  logger.error({ err: String(err) }, 'worker stopped with an error');
  exitCode = stopping ? 0 : 1;
}
health?.close();
await metricsServer?.close();
await client.connection.close().catch(() => {});
await db.destroy().catch(() => {});
await connection.close().catch(() => {});
logger.info('worker stopped');
process.exit(exitCode);
