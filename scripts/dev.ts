/**
 * `npm run dev`: the whole stack on one machine with nothing installed by hand.
 *
 *   Postgres     DATABASE_URL, or embedded under .data/postgres (port 5433 or a free one)
 *   migrations   db/migrate-cli.ts (migrations + dev seed)
 *   Temporal     `temporal server start-dev`, history in .data/temporal.db, gRPC :7233, UI :8233
 *                (TEMPORAL_ADDRESS set = use that server instead)
 *   simcloud     cloud/simcloud/main.ts on :4100
 *   worker       worker/main.ts
 *   api          api/server.ts on PORT (default 3000)
 *
 * Children run in their own process groups with prefixed output. Ctrl-C (SIGINT/SIGTERM) stops
 * them in reverse order by PID (SIGTERM, then SIGKILL after a grace period); a second Ctrl-C kills
 * at once. A child dying unexpectedly stops the stack. Restarting keeps data and workflow history.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded';
import { SimcloudClient } from '../cloud/simcloud-client';
import { createDb } from '../db/connection';
import { registerSimcloudRegions } from '../db/seeds/flavor-infrastructures';
import { loadConfig } from '../lib/config';
import { ensureTemporalCli } from './install-temporal';
import {
  isPortFree,
  makePrefix,
  preferPort,
  projectRoot,
  sleep,
  spawnManaged,
  tsxCommand,
  type ManagedProcess,
} from './processes';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';

const started = performance.now();
const dataDir = path.join(projectRoot, '.data');
const HOST = '127.0.0.1';
const GRACE_MS = 10_000;
const READY_TIMEOUT_MS = Number(process.env.DEV_READY_TIMEOUT_MS ?? 180_000);

const devPrefix = makePrefix('dev');
const say = (message: string) => process.stdout.write(`${devPrefix} ${message}\n`);
const warn = (message: string) => process.stderr.write(`${devPrefix} ${message}\n`);
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------------
// Lifecycle: everything started is registered here and stopped in reverse order.

interface Stoppable {
  name: string;
  stop(): Promise<unknown>;
  killNow?(): void;
}

const resources: Stoppable[] = [];
const processes: ManagedProcess[] = [];
let shuttingDown = false;
let shutdownPromise: Promise<void> | undefined;
let exitCode = 0;

function track<T extends Stoppable>(resource: T): T {
  resources.push(resource);
  // Something that finished starting after shutdown began is stopped straight away.
  if (shuttingDown) void resource.stop();
  return resource;
}

function shutdown(reason: string, code: number): Promise<void> {
  exitCode = Math.max(exitCode, code);
  if (shutdownPromise) return shutdownPromise;
  shuttingDown = true;
  say(`${reason}; stopping...`);
  shutdownPromise = (async () => {
    // App processes first (api and worker together, then simcloud), then Temporal, then Postgres.
    const order = [['api', 'worker'], ['simcloud', 'migrate'], ['temporal'], ['postgres']];
    const remaining = new Set(resources);
    for (const names of order) {
      const batch = [...remaining].filter((r) => names.includes(r.name));
      batch.forEach((r) => remaining.delete(r));
      await Promise.allSettled(batch.map((r) => stopOne(r)));
    }
    await Promise.allSettled([...remaining].map((r) => stopOne(r)));
    say('stopped');
  })();
  return shutdownPromise;
}

async function stopOne(resource: Stoppable) {
  const t0 = performance.now();
  try {
    await resource.stop();
  } catch (err) {
    warn(`stopping ${resource.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ms = performance.now() - t0;
  if (ms > 2000) say(`${resource.name} took ${(ms / 1000).toFixed(1)} s to stop`);
}

let lastSignalAt = 0;
function onSignal(signal: NodeJS.Signals) {
  const now = Date.now();
  // The same Ctrl-C can arrive twice (terminal process group + npm/tsx relaying it); ignore echoes.
  if (now - lastSignalAt < 500) return;
  lastSignalAt = now;
  if (shuttingDown) {
    warn(`${signal} again: killing everything now`);
    for (const r of resources) r.killNow?.();
    process.exit(130);
  }
  void shutdown(`${signal} received`, 0).then(() => process.exit(exitCode));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => {
  // Last resort if we exit without an orderly shutdown: no orphaned process groups.
  for (const r of resources) r.killNow?.();
});
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    warn(`${event}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void shutdown('internal error', 1).then(() => process.exit(exitCode));
  });
}

// ---------------------------------------------------------------------------------------------
// Children.

function watch<T>(name: string, exited: Promise<T>, describe: (info: T) => string) {
  void exited.then((info) => {
    if (shuttingDown) return;
    warn(`${name} exited unexpectedly (${describe(info)})`);
    void shutdown(`${name} died`, 1).then(() => process.exit(exitCode));
  });
}

function startTsChild(name: string, entry: string, env: NodeJS.ProcessEnv): ManagedProcess {
  const [command, args] = tsxCommand(entry);
  const proc = spawnManaged(name, command, args, { env, detached: true });
  processes.push(proc);
  track({ name, stop: () => proc.stop(GRACE_MS), killNow: () => proc.killNow() });
  watch(name, proc.exited, (info) => `pid ${proc.pid}, code ${info.code}${info.signal ? `, signal ${info.signal}` : ''}`);
  return proc;
}

async function runToCompletion(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<void> {
  const [command, args] = tsxCommand(entry);
  const proc = spawnManaged(name, command, args, { env, detached: true });
  const resource = track({ name, stop: () => proc.stop(GRACE_MS), killNow: () => proc.killNow() });
  const info = await proc.exited;
  resources.splice(resources.indexOf(resource), 1);
  if (info.code !== 0) throw new Error(`${name} failed (code ${info.code}${info.signal ? `, signal ${info.signal}` : ''})`);
}

// ---------------------------------------------------------------------------------------------
// Pieces of the stack.

async function setupDatabase(): Promise<{ url: string; description: string }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, description: 'DATABASE_URL' };
  const t0 = performance.now();
  const pgDir = path.join(dataDir, 'postgres');
  const pg: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: pgDir, port: 5433, database: 'provisio' });
  track({ name: 'postgres', stop: () => pg.stop() });
  watch('postgres', pg.exited, () => `embedded Postgres in ${path.relative(projectRoot, pgDir)}`);
  say(
    `embedded Postgres ${pg.initialised ? 'initialised and ' : ''}started on port ${pg.port} ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s, data in ${path.relative(projectRoot, pgDir)})`,
  );
  return { url: pg.url, description: `embedded, ${path.relative(projectRoot, pgDir)}` };
}

/** A dev server left running on our SQLite file by a launcher that was killed hard: stop it (Linux only). */
async function stopStaleTemporal(dbFilename: string): Promise<void> {
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return;
  }
  for (const pid of pids) {
    let args: string[];
    try {
      args = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    const i = args.indexOf('--db-filename');
    if (args.includes('start-dev') && i >= 0 && args[i + 1] === dbFilename) {
      warn(`stopping a Temporal dev server left over from an earlier run (pid ${pid})`);
      try {
        process.kill(Number(pid), 'SIGTERM');
        for (let n = 0; n < 100; n++) {
          await sleep(100);
          process.kill(Number(pid), 0);
        }
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* exited */
      }
    }
  }
}

async function setupTemporal(namespace: string): Promise<{ address: string; uiUrl: string; external: boolean }> {
  if (process.env.TEMPORAL_ADDRESS) {
    return {
      address: process.env.TEMPORAL_ADDRESS,
      uiUrl: process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
      external: true,
    };
  }
  const cliPath = await ensureTemporalCli({ log: (m) => say(m) });
  const dbFilename = path.join(dataDir, 'temporal.db');
  await stopStaleTemporal(dbFilename);
  const port = await preferPort(7233, HOST);
  const uiPort = await preferPort(8233, HOST);
  if (port !== 7233) warn(`port 7233 is busy; Temporal gRPC uses ${port}`);
  if (uiPort !== 8233) warn(`port 8233 is busy; Temporal UI uses ${uiPort}`);
  await fs.mkdir(dataDir, { recursive: true });
  const t0 = performance.now();
  const prefix = makePrefix('temporal');
  const server: TemporalDevServer = await startTemporalDevServer({
    cliPath,
    port,
    uiPort,
    namespace,
    dbFilename,
    logLevel: process.env.TEMPORAL_LOG_LEVEL ?? 'error',
    onLine: (line, stream) => (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix} ${line}\n`),
  });
  track({ name: 'temporal', stop: () => server.stop(), killNow: () => server.process.killNow() });
  watch('temporal', server.process.exited, (info) => `Temporal dev server, code ${info.code}, signal ${info.signal}`);
  say(`Temporal dev server ready at ${server.address} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return { address: server.address, uiUrl: server.uiUrl!, external: false };
}

async function choosePort(envName: string, fallback: number): Promise<number> {
  const explicit = process.env[envName];
  if (explicit) {
    const port = Number(explicit);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${envName}=${explicit} is not a port`);
    if (port > 0 && !(await isPortFree(port, HOST))) throw new Error(`${envName}=${port} is already in use`);
    return port > 0 ? port : preferPort(0, HOST);
  }
  const port = await preferPort(fallback, HOST);
  if (port !== fallback) warn(`port ${fallback} is busy; using ${port} for ${envName}`);
  return port;
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (!shuttingDown) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`API not ready after ${READY_TIMEOUT_MS / 1000} s (${url}: ${last})`);
    await sleep(300);
  }
}

/** The flavor API's infrastructures: simcloud's regions, registered once simcloud answers (idempotent). */
async function registerFlavorRegions(env: NodeJS.ProcessEnv): Promise<void> {
  let db: ReturnType<typeof createDb> | undefined;
  try {
    const config = loadConfig(env);
    db = createDb(config.DATABASE_URL!);
    for (let attempt = 1; ; attempt++) {
      try {
        const names = await registerSimcloudRegions(db, config, new SimcloudClient(config.SIMCLOUD_URL));
        if (names.length) say(`flavor API: registered simcloud regions ${names.join(', ')} as infrastructures`);
        return;
      } catch (err) {
        if (attempt >= 20 || shuttingDown) throw err;
        await sleep(500);
      }
    }
  } catch (err) {
    warn(`flavor API: could not register simcloud's regions: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await db?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const apiPort = await choosePort('PORT', 3000);
  const simcloudPort = await choosePort('SIMCLOUD_PORT', 4100);
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const adminPassword = process.env.ADMIN_PASSWORD || 'admin';

  const temporalReady = setupTemporal(namespace);
  temporalReady.catch(() => {}); // awaited below; avoid an early unhandled rejection
  const database = await setupDatabase();

  const simcloudUrl = `http://${HOST}:${simcloudPort}`;
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PROVISIO_ENV: process.env.PROVISIO_ENV ?? 'development',
    DATABASE_URL: database.url,
    SIMCLOUD_URL: simcloudUrl,
    SIMCLOUD_PORT: String(simcloudPort),
    ADMIN_PASSWORD: adminPassword,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: process.env.TEMPORAL_TASK_QUEUE ?? 'provisio',
    PORT: String(apiPort),
    FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : undefined),
  };

  // Migrations and simcloud need only Postgres: run them while Temporal starts.
  const migrated = runToCompletion('migrate', 'db/migrate-cli.ts', baseEnv);
  migrated.catch(() => {});
  startTsChild('simcloud', 'cloud/simcloud/main.ts', baseEnv);

  const temporal = await temporalReady;
  await migrated;
  if (shuttingDown) return;

  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_UI_URL: temporal.uiUrl,
  };
  startTsChild('worker', 'worker/main.ts', env);
  startTsChild('api', 'api/server.ts', env);

  const apiUrl = `http://${HOST}:${apiPort}`;
  await waitForReady(`${apiUrl}/readyz`);
  if (shuttingDown) return;
  await registerFlavorRegions(env);

  const lines = [
    '',
    `Provisio is ready in ${elapsed()} s`,
    `  API          ${apiUrl}`,
    `  API docs     ${apiUrl}/docs`,
    `  Temporal UI  ${temporal.uiUrl}${temporal.external ? ' (external Temporal at ' + temporal.address + ')' : ''}`,
    `  simcloud     ${simcloudUrl}`,
    `  Postgres     ${database.description}`,
    `  Admin login  admin / ${adminPassword}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch(async (err) => {
  if (!shuttingDown) warn(err instanceof Error ? err.message : String(err));
  await shutdown('startup failed', 1);
  process.exit(exitCode);
});
