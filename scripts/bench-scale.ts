/**
 * `npm run bench:scale` (also part of `npm run bench`): Provisio as several processes on ONE
 * Temporal dev server and ONE Postgres, with one simcloud process. A mixed load (every operation
 * driver in scripts/scale/drivers.ts: Kahu instances created, started, stopped and deleted;
 * serverless runtimes created and deleted) spread over 2 API processes:
 *
 *   1. with 1 worker process, then with 3: throughput (operations per second, end to end);
 *   2. with 3 workers, one worker and one API SIGKILLed halfway: every operation counted in the
 *      operations table, in Temporal's workflow runs and in the cloud's VMs.
 *
 * Prints figures only; test/scale/ asserts the exactly-once part on a smaller load.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../worker/operation-metrics';
import { ensureTemporalCli } from './install-temporal';
import { projectRoot } from './processes';
import { startCluster } from './scale/cluster';
import { DRIVERS } from './scale/drivers';
import { killApiMidRequest } from './scale/kills';
import { loadContext, runLoad, type PoolStats } from './scale/load';
import { verifyExactlyOnce, type Verification } from './scale/verify';
import { startTemporalDevServer } from './temporal-dev-server';
import { LOCAL_POSTGRES_URL } from './throwaway-database';

export interface ScaleRun {
  label: string;
  apis: number;
  workers: number;
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  kills: string[];
  pool: PoolStats;
  verification: Verification;
}

export interface ScaleBenchOptions {
  lifecycles?: number;
  concurrency?: number;
  databaseUrl?: string;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function runScaleBench(opts: ScaleBenchOptions = {}): Promise<ScaleRun[]> {
  const lifecycles = opts.lifecycles ?? 12;
  const concurrency = opts.concurrency ?? 12;
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL;
  const temporal = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), port: 0, uiPort: false, logLevel: 'error', onLine: () => {} });
  const bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provisio-bench-'));
  const workflowBundlePath = path.join(bundleDir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(projectRoot, 'workflows', 'index.ts'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never,
  });
  await fs.writeFile(workflowBundlePath, code);

  const runs: ScaleRun[] = [];
  const scenario = async (label: string, workers: number, withKills: boolean) => {
    const cluster = await startCluster({ databaseUrl, temporalAddress: temporal.address, apis: 2, workers, workflowBundlePath });
    try {
      const runId = `bench-${runs.length}`;
      const ctx = await loadContext(cluster.apis, cluster.admin, runId);
      const kills: string[] = [];
      const result = await runLoad(ctx, {
        drivers: DRIVERS,
        lifecycles,
        concurrency,
        midway: withKills
          ? async () => {
              await cluster.workers[0]!.kill();
              kills.push(`${cluster.workers[0]!.name} (SIGKILL)`);
              await sleep(200);
              const { inFlight } = await killApiMidRequest(cluster, ctx.pool, cluster.apis[0]!);
              kills.push(`${cluster.apis[0]!.name} (SIGKILL, ${inFlight} requests in flight)`);
            }
          : undefined,
      });
      const verification = await verifyExactlyOnce(cluster, result, DRIVERS, runId);
      const latencies = result.performed.map((p) => p.ms).sort((a, b) => a - b);
      runs.push({
        label,
        apis: 2,
        workers,
        operations: result.performed.length,
        seconds: Math.round(result.seconds * 10) / 10,
        perSecond: Math.round((result.performed.length / result.seconds) * 100) / 100,
        p50Ms: Math.round(pct(latencies, 50)),
        p95Ms: Math.round(pct(latencies, 95)),
        kills,
        pool: { ...ctx.pool.stats },
        verification,
      });
    } finally {
      await cluster.stop();
    }
  };

  try {
    await scenario('1 worker', 1, false);
    await scenario('3 workers', 3, false);
    await scenario('3 workers, 1 worker + 1 API killed', 3, true);
  } finally {
    await temporal.stop();
    await fs.rm(bundleDir, { recursive: true, force: true });
  }
  return runs;
}

export function printScaleFigures(runs: ScaleRun[]): void {
  const perLifecycle = DRIVERS.map((d) => `${d.name} ${d.operationsPerLifecycle} ops`).join(', ');
  console.log(`horizontal scale: 2 API processes, N worker processes, one Temporal dev server, one Postgres, one simcloud (${os.cpus().length} CPUs)`);
  console.log(`  mixed load: ${DRIVERS.map((d) => d.name).join(' + ')} lifecycles (${perLifecycle}), spread over both APIs`);
  console.log('  run                                   ops   seconds   ops/s   p50 ms   p95 ms');
  for (const r of runs) {
    console.log(
      `  ${r.label.padEnd(36)} ${String(r.operations).padStart(4)} ${String(r.seconds).padStart(9)} ${String(r.perSecond).padStart(7)} ${String(r.p50Ms).padStart(8)} ${String(r.p95Ms).padStart(8)}`,
    );
  }
  const [one, three] = runs;
  if (one && three) console.log(`  3 workers vs 1: ${(three.perSecond / one.perSecond).toFixed(2)}x the throughput`);
  for (const r of runs) {
    const types = Object.entries(r.verification.byType)
      .map(([t, c]) => `${t} ${c.performed}/${c.rows}/${c.runs}/${c.completed}`)
      .join(', ');
    const cloud = Object.entries(r.verification.cloud)
      .map(([d, c]) => `${d} ${c.objects} VMs (${c.duplicates} duplicated, ${c.live} left live)`)
      .join(', ');
    console.log(`  exactly once, ${r.label}${r.kills.length ? ` [killed: ${r.kills.join(', ')}]` : ''}:`);
    console.log(`    operations performed/rows/runs/completed: ${types}`);
    console.log(`    cloud: ${cloud}`);
    console.log(
      `    clients: ${r.pool.requests} requests, ${r.pool.failovers} failovers to the other API, ${r.pool.replays} idempotent replays, ` +
        `${r.pool.reconciled} reconciled from state, ${r.pool.resent} re-sent`,
    );
    console.log(`    problems: ${r.verification.problems.length ? r.verification.problems.join('; ') : 'none'}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printScaleFigures(await runScaleBench());
  process.exit(0);
}
