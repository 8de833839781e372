/**
 * A multi-process Provisio on one machine, as production runs it: N API processes
 * (api/server.ts) and M worker processes (worker/main.ts) sharing ONE Temporal server, ONE
 * Postgres database and ONE simcloud process (cloud/simcloud/main.ts). Used by the scale test
 * (test/scale/) and `npm run bench:scale`.
 *
 * Each cluster gets a throwaway database, its own task queue and workflow ID prefix, so it can
 * share a Temporal namespace (the test run's dev server) with anything else.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { SimcloudAdmin } from '../../cloud/simcloud-client';
import { createDb, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { seedDefaults } from '../../db/seed';
import { loadConfig } from '../../lib/config';
import { freePort, spawnManaged, tsxCommand, waitUntil, type ExitInfo, type ManagedProcess } from '../processes';
import { createThrowawayDatabase } from '../throwaway-database';

export interface ClusterOptions {
  /** A Postgres server URL; the cluster makes (and drops) a database of its own on it. */
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace?: string;
  apis: number;
  workers: number;
  /** A prebuilt workflow bundle (workers start in about a second instead of bundling). */
  workflowBundlePath?: string;
  /** simcloud timings (ms): each VM transition, its jitter, a DHCP lease. */
  simcloud?: { transitionMs?: number; jitterMs?: number; leaseDelayMs?: number };
  /** Extra environment for every Provisio process (lib/config.ts names). */
  env?: Record<string, string>;
  /** Child output: lines are kept for error messages; `echo` also prints them. */
  echo?: boolean;
}

export interface Member {
  name: string;
  /** The API's base URL (APIs only). */
  url?: string;
  proc: ManagedProcess;
  /** SIGKILL, as a crash: no drain, no cleanup. Resolves when the process is gone. */
  kill(): Promise<ExitInfo>;
  /** SIGTERM, as Kubernetes and Compose stop a pod: graceful. Resolves when the process is gone. */
  terminate(graceMs?: number): Promise<ExitInfo>;
  alive(): boolean;
}

const ADMIN_PASSWORD = 'scale-admin';

export async function startCluster(opts: ClusterOptions) {
  const suffix = randomBytes(4).toString('hex');
  const database = await createThrowawayDatabase(opts.databaseUrl, 'provisio_scale');
  const env: Record<string, string> = {
    PROVISIO_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: opts.temporalNamespace ?? 'default',
    TEMPORAL_TASK_QUEUE: `scale-${suffix}`,
    WORKFLOW_ID_PREFIX: `s${suffix}-`,
    ADMIN_PASSWORD,
    HOST: '127.0.0.1',
    // Several workers share this host: no fixed metrics port each.
    WORKER_METRICS_PORT: '0',
    CLOUD_POLL_MS: '50',
    SYNC_WAIT_MS: '30000',
    ...(opts.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: opts.workflowBundlePath } : {}),
    ...opts.env,
  };
  const members: Member[] = [];
  const db: Db = createDb(database.url);
  let connection: Connection | undefined;

  const spawnMember = (name: string, entry: string, extraEnv: Record<string, string>, url?: string): Member => {
    const [command, args] = tsxCommand(entry);
    const proc = spawnManaged(name, command, args, {
      env: { ...process.env, ...env, ...extraEnv },
      onLine: opts.echo ? (line) => console.log(`[${name}] ${line}`) : () => {},
      tailLines: 40,
    });
    const member: Member = {
      name,
      url,
      proc,
      kill: () => {
        proc.killNow();
        return proc.exited;
      },
      terminate: (graceMs = 60_000) => proc.stop(graceMs, 'SIGTERM'),
      alive: () => !proc.hasExited(),
    };
    members.push(member);
    return member;
  };

  const stop = async () => {
    await Promise.allSettled(members.map((m) => m.proc.stop(5_000)));
    await connection?.close().catch(() => {});
    await db.destroy().catch(() => {});
    await database.drop().catch(() => {});
  };

  try {
    // Provisio's schema and seed once, before several processes start at the same moment.
    await migrateToLatest(db);
    await seedDefaults(db, loadConfig(env));

    // Every process starts at once (each takes seconds to load); then each is waited for.
    const simcloudPort = await freePort();
    const simcloudUrl = `http://127.0.0.1:${simcloudPort}`;
    env.SIMCLOUD_URL = simcloudUrl;
    const simcloud = spawnMember('simcloud', 'cloud/simcloud/main.ts', {
      SIMCLOUD_PORT: String(simcloudPort),
      SIMCLOUD_HOST: '127.0.0.1',
      SIMCLOUD_TRANSITION_MS: String(opts.simcloud?.transitionMs ?? 50),
      SIMCLOUD_JITTER_MS: String(opts.simcloud?.jitterMs ?? 20),
      SIMCLOUD_LEASE_DELAY_MS: String(opts.simcloud?.leaseDelayMs ?? 100),
    });
    const cloud = new SimcloudAdmin(simcloudUrl);

    connection = await Connection.connect({ address: opts.temporalAddress });
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });

    const workers: Member[] = [];
    const spawnWorker = () => {
      const worker = spawnMember(`worker-${workers.length + 1}`, 'worker/main.ts', {});
      workers.push(worker);
      return worker;
    };
    /** Starts one more worker process; resolves once it polls the task queue. */
    const addWorker = async () => {
      const worker = spawnWorker();
      await waitFor(worker, () => pollerCount(temporal, env).then((n) => n >= workers.filter((w) => w.alive()).length), worker.name);
      return worker;
    };
    for (let i = 0; i < opts.workers; i++) spawnWorker();

    const apis: Member[] = [];
    for (let i = 0; i < opts.apis; i++) {
      const port = await freePort();
      apis.push(spawnMember(`api-${i + 1}`, 'api/server.ts', { PORT: String(port) }, `http://127.0.0.1:${port}`));
    }

    await waitFor(simcloud, () => cloud.health().then(() => true), 'simcloud');
    await Promise.all(workers.map((w) => waitFor(w, () => pollerCount(temporal, env).then((n) => n >= workers.length), w.name)));
    // /readyz: Postgres, Temporal and a polling worker.
    await Promise.all(apis.map((api) => waitFor(api, () => fetch(`${api.url}/readyz`).then((r) => r.ok), api.name)));

    return {
      env,
      db,
      temporal,
      cloud,
      simcloud,
      apis,
      workers,
      addWorker,
      taskQueue: env.TEMPORAL_TASK_QUEUE!,
      workflowIdPrefix: env.WORKFLOW_ID_PREFIX!,
      admin: { username: 'admin', password: ADMIN_PASSWORD },
      stop,
    };
  } catch (err) {
    const tails = members.map((m) => `--- ${m.name} (exited: ${m.proc.hasExited()})\n${m.proc.tail()}`).join('\n');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}`);
  }
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/** Pollers on the cluster's workflow task queue (one per live worker process, give or take). */
async function pollerCount(temporal: Client, env: Record<string, string>): Promise<number> {
  const res = await temporal.workflowService.describeTaskQueue({
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: { name: env.TEMPORAL_TASK_QUEUE },
  });
  return new Set((res.pollers ?? []).map((p) => p.identity)).size;
}

/** Waits for a member to answer; fails at once, with its output, if it exits first. */
async function waitFor(member: Member, ready: () => Promise<boolean>, what: string): Promise<void> {
  let settled = false;
  const exited = member.proc.exited.then((info) => {
    if (!settled) throw new Error(`${member.name} exited during startup (code ${info.code}, signal ${info.signal}):\n${member.proc.tail()}`);
  });
  exited.catch(() => {}); // raced below; a later exit is no startup failure
  try {
    await Promise.race([waitUntil(() => ready().catch(() => false), { timeoutMs: 90_000, intervalMs: 150, what }), exited]);
  } finally {
    settled = true;
  }
}
