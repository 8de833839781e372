import { NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit, requireDatabaseUrl } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { SimcloudClient } from '../cloud/simcloud-client';
import { createPlatformWorker } from './factory';
import { ensureInventorySchedule } from './schedules';
import { PinoTemporalLogger } from './temporal-logger';

const config = loadConfigOrExit();
const logger = createLogger('worker', config.LOG_LEVEL);
Runtime.install({ logger: new PinoTemporalLogger(logger) });
const db = createDb(requireDatabaseUrl(config));
await migrateToLatest(db);
const cloud = new SimcloudClient(config.SIMCLOUD_URL);

const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const client = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
const worker = await createPlatformWorker({ connection, config, db, cloud, logger, temporal: client });

await ensureInventorySchedule(client, config).catch((err) => logger.warn({ err: String(err) }, 'could not create the inventory schedule'));

const shutdown = (signal: string) => {
  logger.info({ signal }, 'worker stopping');
  worker.shutdown();
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
await worker.run();
await db.destroy();
await connection.close();
logger.info('worker stopped');
process.exit(0);
