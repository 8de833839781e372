import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { serve, type HttpBindings } from '@hono/node-server';
import { loadConfigOrExit, requireDatabaseUrl } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createDb } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { seedDefaults } from '../db/seed';
import { SimcloudClient } from '../cloud/simcloud-client';
import { startOperationRecovery } from '../lib/operations';
import { acquireProcessLease } from '../lib/process-lease';
import { assertNoTestCrashOutsideTests } from '../lib/test-crash';
import { createApp } from './app';
import { beginDrain } from './operations/await';
import { connectTemporal } from './temporal';

const config = loadConfigOrExit();
assertNoTestCrashOutsideTests(config.PROVISIO_ENV);
const logger = createLogger('api', config.LOG_LEVEL);
const db = createDb(requireDatabaseUrl(config));
await migrateToLatest(db);
await seedDefaults(db, config);
const temporal = await connectTemporal(config);
/**
 * Crash safety: this process's lease (held until it dies, so others know at once when it has) and
 * the recovery of operation starts that dead processes left behind (lib/operations.ts).
 */
const lease = await acquireProcessLease(requireDatabaseUrl(config), 'api', logger);
const stopRecovery = startOperationRecovery({ config, db, temporal, logger });
const app = createApp({ config, db, temporal, logger, cloud: new SimcloudClient(config.SIMCLOUD_URL) });

/**
 * Graceful shutdown (SIGTERM, as Kubernetes and Compose send it). The API stops taking work at
 * once: a request that arrives while it drains is answered 503 (`/readyz` too, so a load
 * balancer stops routing here; `/healthz` stays 200, the process is alive), while the requests
 * already in flight finish, for up to SHUTDOWN_GRACE_MS. Then the process exits. Every answer
 * given while draining carries `Connection: close`, so keep-alive clients reconnect elsewhere.
 */
let draining = false;
const inFlight = new Set<ServerResponse>();
/** Requests that arrived before the drain began: they are served; later ones are turned away. */
const admitted = new WeakSet<IncomingMessage>();

function refuse(pathname: string): Response {
  if (pathname === '/healthz') return Response.json({ status: 'ok', draining: true });
  if (pathname === '/readyz') return Response.json({ status: 'draining', checks: {} }, { status: 503 });
  return Response.json(
    { error: 'shutting_down', message: 'This API instance is shutting down; retry the request (another instance will take it)' },
    { status: 503, headers: { 'retry-after': '1' } },
  );
}

const server = serve(
  {
    fetch: (request, env) => {
      if (draining && !admitted.has((env as HttpBindings).incoming)) return refuse(new URL(request.url).pathname);
      return app.fetch(request, env);
    },
    port: config.PORT,
    hostname: config.HOST,
  },
  (info) => logger.info({ url: `http://${config.HOST}:${info.port}` }, 'api listening'),
) as Server;

// Ahead of the adapter's own listener, so the header is set before any answer is written.
server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
  if (draining) {
    res.setHeader('connection', 'close');
    return;
  }
  admitted.add(req);
  inFlight.add(res);
  res.once('close', () => inFlight.delete(res));
});

async function drain(graceMs: number): Promise<number> {
  const deadline = Date.now() + graceMs;
  while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return inFlight.size;
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  draining = true;
  logger.info({ signal, inFlight: inFlight.size, graceMs: config.SHUTDOWN_GRACE_MS }, 'api draining');
  // Synchronous waits answer 202 with the operation link before the grace period cuts them off.
  beginDrain(Date.now() + config.SHUTDOWN_GRACE_MS - Math.max(250, Math.min(2_000, config.SHUTDOWN_GRACE_MS * 0.2)));
  for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
  server.closeIdleConnections();
  const cut = await drain(config.SHUTDOWN_GRACE_MS);
  if (cut > 0) logger.warn({ cut }, 'grace period over: closing requests still in flight');
  else logger.info('drained');
  server.close();
  server.closeAllConnections();
  await stopRecovery();
  await lease.release();
  await temporal.connection.close().catch(() => {});
  await db.destroy().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
