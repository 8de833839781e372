import { serve } from '@hono/node-server';
import { loadConfigOrExit, requireDatabaseUrl } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { seedDefaults } from '../db/seed';
import { SimcloudClient } from '../cloud/simcloud-client';
import { createApp } from './app';
import { connectTemporal } from './temporal';

const config = loadConfigOrExit();
const logger = createLogger('api', config.LOG_LEVEL);
const db = createDb(requireDatabaseUrl(config));
await migrateToLatest(db);
await seedDefaults(db, config);
const temporal = await connectTemporal(config);
const app = createApp({ config, db, temporal, logger, cloud: new SimcloudClient(config.SIMCLOUD_URL) });

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  logger.info({ url: `http://${config.HOST}:${info.port}` }, 'api listening');
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping');
  server.close();
  await temporal.connection.close().catch(() => {});
  await db.destroy().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
