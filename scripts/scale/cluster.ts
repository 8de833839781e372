/**
 * A multi-process Provisio on one machine, as production runs it: N API processes
 * (api/server.ts) and M worker processes (worker/main.ts) sharing ONE Temporal server, ONE
 * Postgres database and ONE simcloud process (cloud/simcloud/main.ts). Used by the scale test
 * (test/scale/), `npm run bench:scale` and `npm run chaos` (which also restarts workers it
 * killed, and restarts the Temporal server under the cluster).
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
import { registerSimcloudRegions } from '../../db/seeds/flavor-infrastructures';
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
  /** simcloud timings (ms): each VM transition, its jitter, a DHCP lease, a Dockerfile RUN step, a pod log line; its seed. */
  simcloud?: { transitionMs?: number; jitterMs?: number; leaseDelayMs?: number; buildStepMs?: number; podLogIntervalMs?: number; seed?: number };
  /** Registers simcloud's regions as flavor-sync infrastructures once simcloud answers (the flavors surface needs them). */
  flavorRegions?: boolean;
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
  /** Workers: the port of its /healthz and /readyz (WORKER_HEALTH_PORT). */
  healthPort?: number;
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

  const spawnMember = (name: string, entry: string, extraEnv: Record<string, string>, url?: string, healthPort?: number): Member => {
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
      healthPort,
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
      ...(opts.simcloud?.buildStepMs !== undefined ? { SIMCLOUD_BUILD_STEP_MS: String(opts.simcloud.buildStepMs) } : {}),
      ...(opts.simcloud?.podLogIntervalMs !== undefined ? { SIMCLOUD_POD_LOG_INTERVAL_MS: String(opts.simcloud.podLogIntervalMs) } : {}),
      ...(opts.simcloud?.seed !== undefined ? { SIMCLOUD_SEED: String(opts.simcloud.seed) } : {}),
    });
    const cloud = new SimcloudAdmin(simcloudUrl);

    connection = await Connection.connect({ address: opts.temporalAddress });
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });

    const workers: Member[] = [];
    // Each worker answers /readyz on a port of its own once it polls: restarts wait on it.
    const spawnWorkerAs = async (name: string) => {
      const healthPort = await freePort();
      return spawnMember(name, 'worker/main.ts', { WORKER_HEALTH_PORT: String(healthPort) }, undefined, healthPort);
    };
    const spawnWorker = async () => {
      const worker = await spawnWorkerAs(`worker-${workers.length + 1}`);
      workers.push(worker);
      return worker;
    };
    /** Starts one more worker process; resolves once it polls the task queue. */
    const addWorker = async () => {
      const worker = await spawnWorker();
      await waitFor(worker, () => pollerCount(temporal, env).then((n) => n >= workers.filter((w) => w.alive()).length), worker.name);
      return worker;
    };
    /**
     * Starts a new process in place of a worker that exited (a crash, or a kill), as a process
     * supervisor would: same slot in `workers`, a name with a generation (`worker-1#2`); resolves
     * once the new process polls (its /readyz answers 200).
     */
    const restartWorker = async (old: Member, readyTimeoutMs = 90_000) => {
      const slot = workers.indexOf(old);
      if (slot < 0) throw new Error(`${old.name} is not a worker of this cluster`);
      if (old.alive()) await old.kill();
      const [base, generation] = old.name.split('#');
      const worker = await spawnWorkerAs(`${base}#${Number(generation ?? 1) + 1}`);
      workers[slot] = worker;
      await waitFor(worker, () => fetch(`http://127.0.0.1:${worker.healthPort}/readyz`).then((r) => r.ok), worker.name, readyTimeoutMs);
      return worker;
    };
    for (let i = 0; i < opts.workers; i++) await spawnWorker();

    /**
     * Starts one more API process, with extra environment (the crash tests set
     * PROVISIO_TEST_CRASH_AT); resolves once it is ready. Not added to `apis` (the load's pool).
     */
    const addApi = async (name: string, extraEnv: Record<string, string> = {}) => {
      const port = await freePort();
      const api = spawnMember(name, 'api/server.ts', { PORT: String(port), ...extraEnv }, `http://127.0.0.1:${port}`);
      await waitFor(api, () => fetch(`${api.url}/readyz`).then((r) => r.ok), api.name);
      return api;
    };

    const apis: Member[] = [];
    for (let i = 0; i < opts.apis; i++) {
      const port = await freePort();
      apis.push(spawnMember(`api-${i + 1}`, 'api/server.ts', { PORT: String(port) }, `http://127.0.0.1:${port}`));
    }

    await waitFor(simcloud, () => cloud.health().then(() => true), 'simcloud');
    if (opts.flavorRegions) await registerSimcloudRegions(db, loadConfig(env), cloud);
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
      restartWorker,
      addApi,
      simcloudUrl,
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
async function waitFor(member: Member, ready: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  let settled = false;
  const exited = member.proc.exited.then((info) => {
    if (!settled) throw new Error(`${member.name} exited during startup (code ${info.code}, signal ${info.signal}):\n${member.proc.tail()}`);
  });
  exited.catch(() => {}); // raced below; a later exit is no startup failure
  try {
    await Promise.race([waitUntil(() => ready().catch(() => false), { timeoutMs, intervalMs: 150, what }), exited]);
  } finally {
    settled = true;
  }
}
