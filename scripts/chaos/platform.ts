/**
 * The chaos run's platform, its own from top to bottom: a Temporal dev server persisting to a
 * SQLite file in a temporary directory (so it can be stopped and started again on the same port
 * and file without losing a workflow), and on it the multi-process cluster of scripts/scale
 * (API processes, worker processes, one simcloud, a throwaway database).
 *
 * The harness acts as the process supervisor production has (Kubernetes, Compose): a worker
 * that exits when nobody killed it is counted and started again.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../worker/operation-metrics';
import { ensureTemporalCli } from '../install-temporal';
import { freePort, projectRoot } from '../processes';
import { startCluster, type Cluster, type Member } from '../scale/cluster';
import { startTemporalDevServer, type TemporalDevServer } from '../temporal-dev-server';
import { LOCAL_POSTGRES_URL } from '../throwaway-database';
import type { ChaosOptions } from './options';

export interface ChaosPlatform {
  cluster: Cluster;
  temporalAddress: string;
  /** The SQLite file the dev server persists to. */
  temporalDbFile: string;
  /** R2: stops the dev server, waits `downMs`, starts it again on the same port and file. */
  restartTemporal(downMs: number): Promise<{ stoppedMs: number; startMs: number }>;
  /** R1: SIGKILLs a worker, waits `downMs`, starts its replacement; resolves once it polls. */
  killWorker(worker: Member, downMs: number): Promise<{ killed: string; replacement: string; readyMs: number }>;
  /** Workers that exited on their own (not killed by the harness), restarted by the supervisor. */
  unexpectedExits: string[];
  /** The Temporal server's last lines (for failure messages). */
  temporalTail(): string;
  stop(): Promise<void>;
}

export async function startChaosPlatform(opts: ChaosOptions): Promise<ChaosPlatform> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'provisio-chaos-'));
  const temporalDbFile = path.join(dir, 'temporal.db');
  const cliPath = await ensureTemporalCli();
  const port = await freePort();
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
    if (opts.verbose) console.log(`[temporal] ${line}`);
  };
  const startTemporal = () =>
    startTemporalDevServer({ cliPath, port, uiPort: false, dbFilename: temporalDbFile, logLevel: 'error', onLine, readyTimeoutMs: 120_000 });
  let temporal: TemporalDevServer = await startTemporal();

  let workflowBundlePath = opts.workflowBundlePath;
  if (!workflowBundlePath) {
    workflowBundlePath = path.join(dir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(projectRoot, 'workflows', 'index.ts'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never,
    });
    await fs.writeFile(workflowBundlePath, code);
  }

  let cluster: Cluster;
  try {
    cluster = await startCluster({
      databaseUrl: opts.databaseUrl ?? LOCAL_POSTGRES_URL,
      temporalAddress: temporal.address,
      apis: opts.apis,
      workers: opts.workers,
      workflowBundlePath,
      flavorRegions: true,
      echo: opts.verbose,
      simcloud: { transitionMs: opts.transitionMs, jitterMs: Math.round(opts.transitionMs / 2), leaseDelayMs: 100, buildStepMs: 20, podLogIntervalMs: 1_000, seed: opts.seed },
      env: {
        // Operations answer at once (202 and the operation link); clients follow them.
        SYNC_WAIT_MS: '20000',
        CLOUD_POLL_MS: '100',
        // A region that does not answer fails its flavor operation (naming it) within this bound.
        FLAVORS_REGION_TIMEOUT_MS: '20000',
        // The autoscaler exists (and must end with its app) but never acts during the run:
        // the clients scale by hand, and a concurrent autoscaler step would race them.
        APPS_AUTOSCALE_PERIOD_MS: String(3_600_000),
        // The orphan sweeper and the instance supervisor are other engineers' remedies; the run
        // measures what the operations themselves leave, so the sweeper never acts within it.
        SWEEP_GRACE_MS: String(24 * 3_600_000),
        SHUTDOWN_GRACE_MS: '5000',
      },
    });
  } catch (err) {
    await temporal.stop();
    throw err;
  }

  const unexpectedExits: string[] = [];
  const planned = new Set<Member>();
  let stopping = false;
  /**
   * As a process supervisor does: start the worker again until one polls (a worker that cannot
   * reach Temporal at start-up exits; it is started again after a pause, like a crash loop).
   */
  const restartUntilUp = async (worker: Member): Promise<Member> => {
    const deadline = Date.now() + 300_000;
    let current = worker;
    for (let attempt = 1; ; attempt++) {
      try {
        return await cluster.restartWorker(current);
      } catch (err) {
        // restartWorker put the failed process in the slot: the next attempt replaces that one.
        current = cluster.workers.find((w) => w.name.split('#')[0] === worker.name.split('#')[0]) ?? current;
        planned.add(current);
        if (stopping || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1_000 * attempt)));
      }
    }
  };
  /** Supervision: a worker exiting by itself is restarted (and reported). */
  const supervise = (worker: Member) => {
    void worker.proc.exited.then(async (info) => {
      if (stopping || planned.has(worker)) return;
      unexpectedExits.push(`${worker.name} exited (code ${info.code}, signal ${info.signal}): ${worker.proc.tail().split('\n').slice(-3).join(' | ')}`);
      try {
        supervise(await restartUntilUp(worker));
      } catch (err) {
        unexpectedExits.push(`${worker.name} could not be restarted: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  };
  cluster.workers.forEach(supervise);

  return {
    cluster,
    temporalAddress: temporal.address,
    temporalDbFile,
    unexpectedExits,
    temporalTail: () => tail.join('\n'),
    async restartTemporal(downMs) {
      const t0 = Date.now();
      await temporal.stop();
      const stoppedMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, downMs));
      const t1 = Date.now();
      temporal = await startTemporal();
      return { stoppedMs, startMs: Date.now() - t1 };
    },
    async killWorker(worker, downMs) {
      planned.add(worker);
      await worker.kill();
      await new Promise((r) => setTimeout(r, downMs));
      const t0 = Date.now();
      const replacement = await restartUntilUp(worker);
      supervise(replacement);
      return { killed: worker.name, replacement: replacement.name, readyMs: Date.now() - t0 };
    },
    async stop() {
      stopping = true;
      await cluster.stop().catch(() => {});
      await temporal.stop().catch(() => {});
      await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
