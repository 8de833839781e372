/**
 * The ceiling an operation is measured against: an empty workflow (workflows/bench.ts
 * `emptyShape`) of the same command shape — local activities, activities, child workflows, no
 * work — on the same Temporal server, worker and client. Whatever an operation takes beyond it is
 * the platform's own (database, cloud, HTTP).
 *
 *   npx tsx scripts/bench-ceiling.ts                     # the platform's settings, every shape
 *   npx tsx scripts/bench-ceiling.ts --variants all      # each setting against the old defaults
 *   npx tsx scripts/bench-ceiling.ts --variants sdk-defaults,platform --count 100
 *
 * Each variant gets its own dev server (in-memory SQLite unless it says otherwise) and its own
 * worker in this process, as the tests and the operations bench run theirs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createBenchActivities } from '../activities/bench';
import { WORKER_TUNING } from '../worker/tuning';
import { emptyShape } from '../workflows/bench';
import { ensureTemporalCli } from './install-temporal';
import { PLATFORM_DYNAMIC_CONFIG, startTemporalDevServer } from './temporal-dev-server';
import { ACTIVITY_CLOSED, HISTORY_EVENT } from './history-events';

/** The commands an operation issues: what its empty twin issues too. */
export interface Shape {
  localActivities: number;
  activities: number;
  childWorkflows?: number;
}

export const shapeLabel = (s: Shape): string =>
  [`${s.localActivities} LA`, `${s.activities} A`, ...(s.childWorkflows ? [`${s.childWorkflows} child`] : [])].join(' + ');

export interface LoadFigures {
  count: number;
  clients: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Event loop delay of this process during the run (p99), the sign of something blocking it. */
  loopDelayP99Ms: number;
  /**
   * CPU time per operation: this process (client, worker, and in the operations bench the API and
   * simcloud too) and the Temporal server. Unlike latency, it does not grow when other work on the
   * machine competes for the cores, and at 10 clients on 2 cores it is what bounds throughput.
   */
  cpuMsPerOp: { node: number; temporal: number | null };
}

/** User + system CPU of another process, in ms (Linux /proc; null elsewhere). */
export async function processCpuMs(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks, counted from field 3 (state) here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Runs `task(i)` for i in 0..count-1 from `clients` concurrent clients (each takes the next i when
 * its previous call ended) and reports throughput and latency.
 */
export async function drive(count: number, clients: number, task: (i: number) => Promise<unknown>, temporalPid?: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  let next = 0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const server0 = await processCpuMs(temporalPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        await task(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const total = performance.now() - t0;
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const server1 = await processCpuMs(temporalPid);
  latencies.sort((a, b) => a - b);
  return {
    count,
    clients,
    perSecond: round1(count / (total / 1000)),
    p50Ms: Math.round(pct(latencies, 50)),
    p95Ms: Math.round(pct(latencies, 95)),
    maxMs: Math.round(latencies[latencies.length - 1] ?? 0),
    loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
    cpuMsPerOp: {
      node: round1((cpu.user + cpu.system) / 1000 / count),
      temporal: server0 === null || server1 === null ? null : round1((server1 - server0) / count),
    },
  };
}

export interface CeilingTarget {
  client: Client;
  taskQueue: string;
  /** Prefixes workflow IDs (several benches can share a namespace). */
  workflowIdPrefix?: string;
  /** Start with `requestEagerStart` (the first workflow task comes back in the start reply). */
  eagerStart?: boolean;
  /** The Temporal server's process, for its CPU time (a local dev server). */
  temporalPid?: number;
}

/** Runs empty workflows of `shape` to completion, `count` of them from `clients` clients. */
export async function measureShape(target: CeilingTarget, shape: Shape, count: number, clients: number): Promise<LoadFigures & { breakdown: BreakdownSum }> {
  const run = randomBytes(3).toString('hex');
  const workflowId = (i: number) => `${target.workflowIdPrefix ?? ''}bench/${run}/${i}`;
  const execute = (i: number) =>
    target.client.workflow.execute(emptyShape, {
      taskQueue: target.taskQueue,
      workflowId: workflowId(i),
      args: [shape.localActivities, shape.activities, shape.childWorkflows ?? 0],
      workflowRunTimeout: '1m',
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ...(target.eagerStart ? { requestEagerStart: true } : {}),
    });
  // Warm up: the first runs pay for connections, isolates and caches.
  await drive(Math.min(clients * 2, 20), clients, (i) => execute(count + i));
  const figures = await drive(count, clients, execute, target.temporalPid);
  return { ...figures, breakdown: await sampleBreakdown(target.client, Array.from({ length: count }, (_, i) => workflowId(i))) };
}

export type BreakdownSum = ReturnType<typeof addBreakdowns>;

/** Where the time of (up to 10 of) these runs went, from their histories. */
export async function sampleBreakdown(client: Client, workflowIds: string[], runIds?: string[]): Promise<BreakdownSum> {
  const step = Math.max(1, Math.floor(workflowIds.length / 10));
  const picks = workflowIds.map((id, i) => ({ id, runId: runIds?.[i] })).filter((_, i) => i % step === 0).slice(0, 10);
  const histories = await Promise.all(picks.map((p) => client.workflow.getHandle(p.id, p.runId).fetchHistory()));
  return addBreakdowns(histories.map((h) => historyBreakdown(h.events ?? [])));
}

// ---------------------------------------------------------------------------------------------
// Where the time of one run goes, from its history's event timestamps.

/** Milliseconds of one run's wall time (workflow start to close) by what it was waiting for. */
export interface TimeBreakdown {
  totalMs: number;
  /** A workflow task was scheduled and no worker had picked it up yet (matching, pollers). */
  workflowTaskQueueMs: number;
  /** A worker was running a workflow task (workflow code, local activities, reply). */
  workflowTaskRunMs: number;
  /** An activity was scheduled and not yet started (matching, pollers; ~0 when eager). */
  activityQueueMs: number;
  /** An activity was running (database, cloud, HTTP: the platform's own work). */
  activityRunMs: number;
  /** A child workflow start was initiated and not yet confirmed. */
  childStartMs: number;
  /** Nothing pending on a worker: the server persisting and moving to the next task. */
  serverMs: number;
  /** Commands seen: workflow tasks, activities, local activities (markers), children. */
  counts: { workflowTasks: number; activities: number; localActivities: number; children: number };
}

const EVENT = { ...HISTORY_EVENT, actClosed: ACTIVITY_CLOSED };

type HistoryEventLike = { eventId?: unknown; eventType?: unknown; eventTime?: { seconds?: unknown; nanos?: unknown } | null };

const millis = (t: HistoryEventLike['eventTime']) => Number(t?.seconds ?? 0) * 1000 + Number(t?.nanos ?? 0) / 1e6;

/**
 * Splits a run's wall time by what was pending between consecutive events (sorted by time: an
 * activity's Started event is written at its completion but stamped when it started). With
 * several things pending, the segment goes to the first of: workflow task running, queued,
 * activity running, queued, child start; with nothing pending, to the server.
 */
export function historyBreakdown(events: readonly HistoryEventLike[]): TimeBreakdown {
  const sorted = [...events].map((e, i) => ({ type: Number(e.eventType), at: millis(e.eventTime), i })).sort((a, b) => a.at - b.at || a.i - b.i);
  const out: TimeBreakdown = {
    totalMs: 0,
    workflowTaskQueueMs: 0,
    workflowTaskRunMs: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
    childStartMs: 0,
    serverMs: 0,
    counts: { workflowTasks: 0, activities: 0, localActivities: 0, children: 0 },
  };
  let wft: 'queued' | 'running' | null = null;
  let actQueued = 0;
  let actRunning = 0;
  let children = 0;
  for (let k = 0; k < sorted.length; k++) {
    const e = sorted[k]!;
    switch (e.type) {
      case EVENT.wftScheduled:
        wft = 'queued';
        out.counts.workflowTasks++;
        break;
      case EVENT.wftStarted:
        wft = 'running';
        break;
      case EVENT.wftCompleted:
      case EVENT.wftTimedOut:
      case EVENT.wftFailed:
        wft = null;
        break;
      case EVENT.actScheduled:
        actQueued++;
        out.counts.activities++;
        break;
      case EVENT.actStarted:
        actQueued = Math.max(0, actQueued - 1);
        actRunning++;
        break;
      case EVENT.marker:
        out.counts.localActivities++;
        break;
      case EVENT.childInitiated:
        children++;
        out.counts.children++;
        break;
      case EVENT.childStarted:
      case EVENT.childStartFailed:
        children = Math.max(0, children - 1);
        break;
      default:
        if ((EVENT.actClosed as readonly number[]).includes(e.type)) {
          // A closed activity that never logged Started (e.g. cancelled while queued) was queued.
          if (actRunning > 0) actRunning--;
          else actQueued = Math.max(0, actQueued - 1);
        }
    }
    const next = sorted[k + 1];
    if (!next) break;
    const ms = next.at - e.at;
    out.totalMs += ms;
    if (wft === 'running') out.workflowTaskRunMs += ms;
    else if (wft === 'queued') out.workflowTaskQueueMs += ms;
    else if (actRunning > 0) out.activityRunMs += ms;
    else if (actQueued > 0) out.activityQueueMs += ms;
    else if (children > 0) out.childStartMs += ms;
    else out.serverMs += ms;
  }
  return out;
}

/** The sum of several breakdowns (then divide by their number for a mean). */
export function addBreakdowns(items: TimeBreakdown[]): TimeBreakdown & { runs: number } {
  const sum: TimeBreakdown & { runs: number } = {
    runs: items.length,
    totalMs: 0,
    workflowTaskQueueMs: 0,
    workflowTaskRunMs: 0,
    activityQueueMs: 0,
    activityRunMs: 0,
    childStartMs: 0,
    serverMs: 0,
    counts: { workflowTasks: 0, activities: 0, localActivities: 0, children: 0 },
  };
  for (const b of items) {
    for (const key of ['totalMs', 'workflowTaskQueueMs', 'workflowTaskRunMs', 'activityQueueMs', 'activityRunMs', 'childStartMs', 'serverMs'] as const) sum[key] += b[key];
    for (const key of Object.keys(sum.counts) as Array<keyof TimeBreakdown['counts']>) sum.counts[key] += b.counts[key];
  }
  return sum;
}

/** "total 250 = wft queue 110, wft run 20, activity queue 90, activity 5, child 0, server 25" (means). */
export function describeBreakdown(sum: TimeBreakdown & { runs: number }): string {
  const m = (v: number) => Math.round(v / Math.max(1, sum.runs));
  return (
    `in Temporal ${m(sum.totalMs)} ms = wft queue ${m(sum.workflowTaskQueueMs)}, wft run ${m(sum.workflowTaskRunMs)}, ` +
    `activity queue ${m(sum.activityQueueMs)}, activity run ${m(sum.activityRunMs)}, child start ${m(sum.childStartMs)}, server ${m(sum.serverMs)}`
  );
}

// ---------------------------------------------------------------------------------------------
// Standalone: which setting costs what.

interface Variant {
  name: string;
  what: string;
  /** Merged over the platform's dynamic config; null removes a key. */
  dynamicConfig: Record<string, string | number | boolean | null>;
  worker: Partial<WorkerOptions>;
  sqlite?: 'memory' | 'file' | 'file+wal';
  eagerStart?: boolean;
  /** The client on the worker's NativeConnection (Rust) instead of its own grpc-js Connection. */
  nativeClient?: boolean;
}

const NO_PLATFORM_CONFIG = Object.fromEntries(Object.keys(PLATFORM_DYNAMIC_CONFIG).map((k) => [k, null]));
const OLD = { dynamicConfig: NO_PLATFORM_CONFIG, worker: {} };

export const VARIANTS: Variant[] = [
  { name: 'sdk-defaults', what: 'dev server, worker and client defaults (the platform before this work)', ...OLD },
  { name: 'eager-activities', what: 'defaults + system.enableActivityEagerExecution', ...OLD, dynamicConfig: { ...NO_PLATFORM_CONFIG, 'system.enableActivityEagerExecution': true } },
  {
    name: 'one-partition',
    what: 'defaults + one task queue partition',
    ...OLD,
    dynamicConfig: { ...NO_PLATFORM_CONFIG, 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 },
  },
  {
    name: 'eager-start',
    what: 'native-client + requestEagerStart (needs the worker in the client process)',
    ...OLD,
    dynamicConfig: { ...NO_PLATFORM_CONFIG, 'system.enableEagerWorkflowStart': true },
    nativeClient: true,
    eagerStart: true,
  },
  { name: 'native-client', what: "defaults + the client on the worker's NativeConnection", ...OLD, nativeClient: true },
  { name: 'worker-tuning', what: 'defaults + the platform worker options', ...OLD, worker: WORKER_TUNING },
  { name: 'sqlite-file', what: 'defaults on a SQLite file without pragmas (fsync per commit)', ...OLD, sqlite: 'file' },
  { name: 'sqlite-wal', what: 'defaults on a SQLite file, WAL and synchronous=OFF (npm run dev)', ...OLD, sqlite: 'file+wal' },
  { name: 'platform', what: "the platform: its dev server's dynamic config and worker options (API client on grpc-js)", dynamicConfig: {}, worker: WORKER_TUNING },
  {
    name: 'platform+eager-start',
    what: "the platform + a client on the worker's NativeConnection starting with requestEagerStart (API and worker in one process)",
    dynamicConfig: {},
    worker: WORKER_TUNING,
    nativeClient: true,
    eagerStart: true,
  },
];

export const CEILING_SHAPES: Shape[] = [
  { localActivities: 0, activities: 0 },
  { localActivities: 1, activities: 0 },
  { localActivities: 0, activities: 1 },
  { localActivities: 1, activities: 2 },
  { localActivities: 2, activities: 2, childWorkflows: 1 },
];

/** One variant's own dev server, worker and client, ready to measure. */
async function startVariant(variant: Variant) {
  const dir = variant.sqlite && variant.sqlite !== 'memory' ? await mkdtemp(path.join(tmpdir(), 'provisio-ceiling-')) : undefined;
  const server = await startTemporalDevServer({
    cliPath: await ensureTemporalCli(),
    port: 0,
    uiPort: false,
    logLevel: 'error',
    onLine: () => {},
    dynamicConfig: variant.dynamicConfig,
    ...(dir ? { dbFilename: path.join(dir, 'temporal.db'), sqlitePragmas: variant.sqlite === 'file+wal' } : {}),
  });
  const taskQueue = `ceiling-${randomBytes(3).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../workflows/bench.ts', import.meta.url)),
    activities: createBenchActivities(),
    ...variant.worker,
  });
  const running = worker.run();
  const connection = variant.nativeClient ? undefined : await Connection.connect({ address: server.address });
  const client = new Client({ connection: connection ?? nativeConnection });
  return {
    variant,
    target: { client, taskQueue, eagerStart: variant.eagerStart, temporalPid: server.process.pid } satisfies CeilingTarget,
    async stop() {
      worker.shutdown();
      await running;
      await connection?.close();
      await nativeConnection.close();
      await server.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : 0;
};

/**
 * Every variant runs at once (each on its own dev server) and the measurements interleave: for
 * each shape and client count, round after round, every variant in turn. Load from elsewhere on
 * the machine then hits every variant alike; the figures are medians over the rounds.
 */
async function compareVariants(variants: Variant[], shapes: Shape[], count: number, clientCounts: number[], rounds: number) {
  const started = [];
  for (const v of variants) started.push(await startVariant(v));
  const results = new Map<string, Array<{ shape: Shape; figures: LoadFigures & { breakdown?: BreakdownSum } }>>();
  try {
    for (const shape of shapes) {
      for (const clients of clientCounts) {
        const perVariant = new Map<string, Array<LoadFigures & { breakdown: BreakdownSum }>>();
        for (let r = 0; r < rounds; r++) {
          for (const s of started) {
            const f = await measureShape(s.target, shape, count, clients);
            perVariant.set(s.variant.name, [...(perVariant.get(s.variant.name) ?? []), f]);
          }
        }
        for (const [name, runs] of perVariant) {
          const figures = {
            count: count * runs.length,
            clients,
            perSecond: round1(median(runs.map((f) => f.perSecond))),
            p50Ms: Math.round(median(runs.map((f) => f.p50Ms))),
            p95Ms: Math.round(median(runs.map((f) => f.p95Ms))),
            maxMs: Math.max(...runs.map((f) => f.maxMs)),
            loopDelayP99Ms: Math.round(median(runs.map((f) => f.loopDelayP99Ms))),
            cpuMsPerOp: {
              node: round1(median(runs.map((f) => f.cpuMsPerOp.node))),
              temporal: runs.some((f) => f.cpuMsPerOp.temporal === null) ? null : round1(median(runs.map((f) => f.cpuMsPerOp.temporal!))),
            },
            breakdown: addBreakdowns(runs.flatMap((f) => Array.from({ length: f.breakdown.runs }, () => scaled(f.breakdown)))),
          };
          results.set(name, [...(results.get(name) ?? []), { shape, figures }]);
        }
      }
    }
  } finally {
    for (const s of started) await s.stop();
  }
  return results;
}

/** A sum of breakdowns as the mean of one run (to pool several sums with addBreakdowns). */
function scaled(sum: BreakdownSum): TimeBreakdown {
  const n = Math.max(1, sum.runs);
  return {
    totalMs: sum.totalMs / n,
    workflowTaskQueueMs: sum.workflowTaskQueueMs / n,
    workflowTaskRunMs: sum.workflowTaskRunMs / n,
    activityQueueMs: sum.activityQueueMs / n,
    activityRunMs: sum.activityRunMs / n,
    childStartMs: sum.childStartMs / n,
    serverMs: sum.serverMs / n,
    counts: sum.counts,
  };
}

export function printCeilingRows(title: string, rows: Array<{ shape: Shape; figures: LoadFigures & { breakdown?: BreakdownSum } }>): void {
  console.log(title);
  console.log('  shape                        clients   ops/s   p50 ms   p95 ms   max ms   loop p99 ms   cpu ms/op node+temporal');
  for (const { shape, figures: f } of rows) {
    console.log(
      `  ${shapeLabel(shape).padEnd(28)} ${String(f.clients).padStart(7)} ${String(f.perSecond).padStart(7)} ${String(f.p50Ms).padStart(8)} ${String(
        f.p95Ms,
      ).padStart(8)} ${String(f.maxMs).padStart(8)} ${String(f.loopDelayP99Ms).padStart(13)}   ${f.cpuMsPerOp.node}+${f.cpuMsPerOp.temporal ?? '?'}`,
    );
    if (f.breakdown) console.log(`      ${describeBreakdown(f.breakdown)}`);
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
  const wanted = (arg('variants') ?? 'platform').split(',');
  const variants = wanted.includes('all') ? VARIANTS : VARIANTS.filter((v) => wanted.includes(v.name));
  if (!variants.length) throw new Error(`unknown variant; one of: all, ${VARIANTS.map((v) => v.name).join(', ')}`);
  const count = Number(arg('count') ?? 40);
  const rounds = Number(arg('rounds') ?? 1);
  const clientCounts = (arg('clients') ?? '1,10').split(',').map(Number);
  const shapes = arg('shapes')
    ? arg('shapes')!.split(',').map((s) => {
        const [l, a, c] = s.split(':').map(Number);
        return { localActivities: l ?? 0, activities: a ?? 0, childWorkflows: c ?? 0 };
      })
    : CEILING_SHAPES;
  const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
  console.log(`empty workflows: ${count} per measurement, median of ${rounds} interleaved round(s); load average at start ${load()}`);
  const results = await compareVariants(variants, shapes, count, clientCounts, rounds);
  for (const variant of variants) printCeilingRows(`\n${variant.name}: ${variant.what}`, results.get(variant.name) ?? []);
  console.log(`\nload average at the end ${load()}`);
  process.exit(0);
}
