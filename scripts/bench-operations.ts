import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  addBreakdowns,
  describeBreakdown,
  drive,
  historyBreakdown,
  measureShape,
  shapeLabel,
  type BreakdownSum,
  type CeilingTarget,
  type LoadFigures,
  type Shape,
} from './bench-ceiling';
import { startInProcessPlatform, type InProcessPlatform } from './in-process-platform';
import { ensureTemporalCli } from './install-temporal';
import { startTemporalDevServer } from './temporal-dev-server';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * Operations through the API over real HTTP, each next to the ceiling of its command shape
 * (issue 10, P1): for every operation of every surface, throughput and p50/p95 at 1 and 10
 * clients beside the same figures for an empty workflow with the same local activities,
 * activities and children (workflows/bench.ts) on the same Temporal server, worker and client, and
 * the ratio. Where the ratio misses 0.8, the line below says where the time went: the workflow's
 * own history (workflow tasks, activity round trips, children) and the API around it (HTTP,
 * authentication, database, start and result calls).
 *
 * Surfaces add their operations to OPERATIONS (surface, operation, shape, run); the drivers of a
 * surface run in table order on the same resources (create, then start them, …).
 */

/** What a driver gets: the API over HTTP with each surface's credentials, and state shared by a surface's operations. */
export interface BenchClient {
  base: string;
  /** Kahu's session cookie (compute). */
  kahuCookie: string;
  /** HTTP Basic of the admin (runtimes, platform). */
  basic: string;
  platform: InProcessPlatform;
  /** Per surface: whatever its operations pass on to each other (locations, ids). */
  state: Record<string, unknown[]>;
  /** Names this round's resources apart from the previous rounds' (warm-up, 1 client, 10 clients). */
  round: string;
  request(method: string, path: string, init: { headers?: Record<string, string>; body?: RequestInit['body']; expected: number }): Promise<Response>;
}

export interface OperationDriver {
  surface: string;
  operation: string;
  /** The workflow type it runs, as in its history. */
  workflowType: string;
  /** Its command shape as designed; the bench checks it against the operation's history and measures the ceiling of what it saw. */
  shape: Shape;
  /** One operation on resource i, to its end; returns the operation id (the run id of its workflow). */
  run(client: BenchClient, i: number): Promise<string>;
}

const operationIdOf = (link: string | null | undefined) => {
  const id = link?.match(/\/v1\/operations\/([0-9a-f-]+)/)?.[1];
  if (!id) throw new Error(`no operation link in ${link}`);
  return id;
};

const kahu = (client: BenchClient) => ({ cookie: client.kahuCookie });
const form = (fields: Record<string, string>) => new URLSearchParams(fields);

async function untilDone(client: BenchClient, operationId: string) {
  const row = await client.platform.db.selectFrom('operations').select(['workflow_id', 'run_id']).where('id', '=', operationId).executeTakeFirstOrThrow();
  await client.platform.temporal.workflow.getHandle(row.workflow_id, row.run_id).result();
}

/** Every operation the bench drives, per surface in the order they build on each other. */
export const OPERATIONS: OperationDriver[] = [
  {
    surface: 'compute',
    operation: 'create',
    workflowType: 'createInstance',
    shape: { localActivities: 1, activities: 2 },
    async run(client, i) {
      const res = await client.request('POST', '/v0/compute/instance/', {
        headers: kahu(client),
        body: form({ profile: 'debian-jessie-amd64', size: '1cpu256mb', name: `bench-${client.round}-${i}` }),
        expected: 201,
      });
      (client.state.compute ??= [])[i] = res.headers.get('location')!;
      return operationIdOf(((await res.json()) as { operation: string }).operation);
    },
  },
  {
    surface: 'compute',
    operation: 'start',
    workflowType: 'startInstance',
    shape: { localActivities: 2, activities: 2, childWorkflows: 1 },
    async run(client, i) {
      const res = await client.request('POST', `${client.state.compute![i]}start`, { headers: kahu(client), expected: 200 });
      return operationIdOf(((await res.json()) as { operation: string }).operation);
    },
  },
  {
    surface: 'compute',
    operation: 'stop',
    workflowType: 'stopInstance',
    shape: { localActivities: 2, activities: 2 },
    async run(client, i) {
      const res = await client.request('POST', `${client.state.compute![i]}stop`, { headers: kahu(client), expected: 200 });
      return operationIdOf(((await res.json()) as { operation: string }).operation);
    },
  },
  {
    surface: 'compute',
    operation: 'delete',
    workflowType: 'deleteInstance',
    shape: { localActivities: 3, activities: 1 },
    async run(client, i) {
      const res = await client.request('DELETE', client.state.compute![i] as string, { headers: kahu(client), expected: 200 });
      return operationIdOf(((await res.json()) as { operation: string }).operation);
    },
  },
  {
    surface: 'runtimes',
    operation: 'create',
    workflowType: 'createRuntime',
    shape: { localActivities: 0, activities: 6, childWorkflows: 1 },
    async run(client, i) {
      // 201 at once (PENDING), as the seed answers; the operation is measured to its end (RUNNING).
      const res = await client.request('POST', '/serverless-runtimes', {
        headers: { authorization: client.basic, 'content-type': 'application/json' },
        body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: `bench-${client.round}-${i}`, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
        expected: 201,
      });
      (client.state.runtimes ??= [])[i] = res.headers.get('location')!;
      const operationId = operationIdOf(res.headers.get('operation-location'));
      await untilDone(client, operationId);
      return operationId;
    },
  },
  {
    surface: 'runtimes',
    operation: 'update',
    workflowType: 'updateRuntime',
    shape: { localActivities: 2, activities: 4 },
    async run(client, i) {
      const res = await client.request('PUT', client.state.runtimes![i] as string, {
        headers: { authorization: client.basic, 'content-type': 'application/json' },
        body: JSON.stringify({ SERVERLESS_RUNTIME: { NAME: `bench-${client.round}-${i}-renamed`, FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } }),
        expected: 200,
      });
      return operationIdOf(res.headers.get('operation-location'));
    },
  },
  {
    surface: 'runtimes',
    operation: 'delete',
    workflowType: 'deleteRuntime',
    shape: { localActivities: 3, activities: 2 },
    async run(client, i) {
      const res = await client.request('DELETE', client.state.runtimes![i] as string, { headers: { authorization: client.basic }, expected: 204 });
      return operationIdOf(res.headers.get('operation-location'));
    },
  },
  // apps, flavors and clusters add their operations here, e.g.
  // { surface: 'apps', operation: 'deploy', workflowType: 'deployApp', shape: {...}, run: (client, i) => ... },
];

export interface OperationFigures {
  surface: string;
  operation: string;
  workflowType: string;
  clients: number;
  figures: LoadFigures;
  /** The shape seen in the operation's history (the ceiling's shape), and whether it matches the declared one. */
  shape: Shape;
  shapeMatches: boolean;
  ceiling: LoadFigures & { breakdown: BreakdownSum };
  /** Operation throughput over the ceiling's (the goal: ≥ 0.8). */
  ratio: number;
  /** Where the operation's time went: its history, and the API before the start and after the close. */
  breakdown: BreakdownSum;
  apiBeforeStartMs: number;
  apiAfterCloseMs: number;
}

export interface OperationsBenchOptions {
  /** Operations per measurement at 1 client and at 10 clients. */
  countOne?: number;
  countMany?: number;
  clients?: number[];
  databaseUrl?: string;
  /** Only these surfaces (default: all in OPERATIONS). */
  surfaces?: string[];
  /** Unmeasured runs of each operation first (default 4). */
  warmup?: number;
}

const eventMs = (e: { eventTime?: { seconds?: unknown; nanos?: unknown } | null } | undefined) =>
  Number(e?.eventTime?.seconds ?? 0) * 1000 + Number(e?.eventTime?.nanos ?? 0) / 1e6;

export async function runOperationsBench(opts: OperationsBenchOptions = {}): Promise<OperationFigures[]> {
  const clientCounts = opts.clients ?? [1, 10];
  const countFor = (clients: number) => (clients === 1 ? (opts.countOne ?? 10) : (opts.countMany ?? 40));
  const drivers = OPERATIONS.filter((d) => !opts.surfaces || opts.surfaces.includes(d.surface));
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
  const temporal = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), port: 0, uiPort: false, logLevel: 'error', onLine: () => {} });
  const database = await createThrowawayDatabase(opts.databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, 'provisio_bench');
  const platform = await startInProcessPlatform({
    databaseUrl: database.url,
    temporalAddress: temporal.address,
    simcloud: { transitionMs: 20, jitterMs: 0, leaseDelayMs: 20 },
    config: { SYNC_WAIT_MS: '120000' },
  });
  const server = serve({ fetch: platform.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const target: CeilingTarget = {
    client: platform.temporal,
    taskQueue: platform.config.TEMPORAL_TASK_QUEUE,
    workflowIdPrefix: platform.config.WORKFLOW_ID_PREFIX,
    temporalPid: temporal.process.pid,
  };
  const timings = new Map<string, { sentAt: number; answeredAt: number }>();
  let baselines: Record<string, number> = {};
  const results: OperationFigures[] = [];
  try {
    const login = await fetch(`${base}/v0/auth/login`, { method: 'POST', body: form({ role: 'admin', password: 'admin' }) });
    const client: BenchClient = {
      base,
      kahuCookie: login.headers.get('set-cookie')!.split(';')[0]!,
      basic: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      platform,
      state: {},
      round: 'warmup',
      async request(method, path, init) {
        const res = await fetch(`${base}${path}`, { method, headers: init.headers, body: init.body });
        if (res.status !== init.expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
        return res;
      },
    };
    const ceilings = new Map<string, LoadFigures & { breakdown: BreakdownSum }>();
    // Warm up (JIT, connection pools, caches, the workflow bundle's first runs): each operation a
    // few times, unmeasured, on resources of its own.
    client.state = {};
    for (const driver of drivers) await drive(Math.max(2, opts.warmup ?? 4), 2, (i) => driver.run(client, i));
    await measureShape(target, { localActivities: 1, activities: 1 }, 4, 2);
    baselines = await measureBaselines(client);
    for (const clients of clientCounts) {
      const count = countFor(clients);
      client.state = {};
      client.round = `c${clients}`;
      for (const driver of drivers) {
        const ids: string[] = [];
        const figures = await drive(
          count,
          clients,
          async (i) => {
            const sentAt = Date.now();
            const id = await driver.run(client, i);
            timings.set(id, { sentAt, answeredAt: Date.now() });
            ids[i] = id;
          },
          temporal.process.pid,
        );
        const sampled = await sampleOperations(platform, ids, timings);
        const shape = sampled.shape;
        const key = `${shapeLabel(shape)}@${clients}`;
        if (!ceilings.has(key)) ceilings.set(key, await measureShape(target, shape, count, clients));
        const ceiling = ceilings.get(key)!;
        results.push({
          surface: driver.surface,
          operation: driver.operation,
          workflowType: driver.workflowType,
          clients,
          figures,
          shape,
          shapeMatches: shapeLabel(shape) === shapeLabel(driver.shape),
          ceiling,
          ratio: Math.round((figures.perSecond / ceiling.perSecond) * 100) / 100,
          breakdown: sampled.breakdown,
          apiBeforeStartMs: sampled.apiBeforeStartMs,
          apiAfterCloseMs: sampled.apiAfterCloseMs,
        });
      }
    }
    lastBaselines = baselines;
    return results;
  } finally {
    server.close();
    await platform.stop();
    await database.drop();
    await temporal.stop();
  }
}

/** Round trips every operation pays some of, p50 of 20 each, one at a time. */
async function measureBaselines(client: BenchClient): Promise<Record<string, number>> {
  const p50 = async (fn: () => Promise<unknown>) => {
    const t: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await fn();
      t.push(performance.now() - s);
    }
    return Math.round(t.sort((a, b) => a - b)[10]! * 10) / 10;
  };
  const { platform } = client;
  return {
    'Postgres round trip (select 1)': await p50(() => sql`select 1`.execute(platform.db)),
    'simcloud round trip (GET /regions)': await p50(() => platform.cloud.listRegions()),
    'API over HTTP, no auth (GET /healthz)': await p50(() => client.request('GET', '/healthz', { expected: 200 })),
    'API with a Kahu session (GET /v0/compute/size/)': await p50(() => client.request('GET', '/v0/compute/size/', { headers: { cookie: client.kahuCookie }, expected: 200 })),
    'API with HTTP Basic, scrypt (GET /serverless-runtimes)': await p50(() => client.request('GET', '/serverless-runtimes', { headers: { authorization: client.basic }, expected: 200 })),
    'Temporal round trip (describe namespace)': await p50(() => platform.temporal.workflowService.describeNamespace({ namespace: platform.config.TEMPORAL_NAMESPACE })),
  };
}

let lastBaselines: Record<string, number> = {};

/** Up to 10 operations' histories: their command shape, where their time went, and the API around them. */
async function sampleOperations(platform: InProcessPlatform, ids: string[], timings: Map<string, { sentAt: number; answeredAt: number }>) {
  const step = Math.max(1, Math.floor(ids.length / 10));
  const picks = ids.filter((_, i) => i % step === 0).slice(0, 10);
  const rows = await platform.db.selectFrom('operations').select(['id', 'workflow_id', 'run_id']).where('id', 'in', picks).execute();
  const histories = await Promise.all(rows.map((r) => platform.temporal.workflow.getHandle(r.workflow_id, r.run_id).fetchHistory()));
  const breakdowns = histories.map((h) => historyBreakdown(h.events ?? []));
  let before = 0;
  let after = 0;
  rows.forEach((r, k) => {
    const events = histories[k]!.events ?? [];
    const t = timings.get(r.id)!;
    before += eventMs(events[0]) - t.sentAt;
    after += t.answeredAt - eventMs(events[events.length - 1]);
  });
  const n = Math.max(1, rows.length);
  const c = breakdowns[0]?.counts ?? { localActivities: 0, activities: 0, children: 0 };
  return {
    shape: { localActivities: c.localActivities, activities: c.activities, childWorkflows: c.children } as Shape,
    breakdown: addBreakdowns(breakdowns),
    apiBeforeStartMs: Math.round(before / n),
    apiAfterCloseMs: Math.round(after / n),
  };
}

const pad = (v: string | number, n: number) => String(v).padStart(n);

export function printOperationsFigures(results: OperationFigures[]): void {
  console.log('operations through the API (HTTP, Temporal dev server, Postgres, simcloud at ~20 ms per transition)');
  console.log('next to an empty workflow of the same command shape on the same server, worker and client (ratio = ops/s over the ceiling\'s)');
  console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on this machine`);
  console.log('  round trips inside every operation (p50 ms):');
  for (const [what, ms] of Object.entries(lastBaselines)) console.log(`    ${what.padEnd(56)} ${ms}`);
  console.log('  surface   operation  clients  count   ops/s  p50 ms  p95 ms │ ceiling: shape                ops/s  p50 ms  p95 ms │ ratio  cpu ms/op (node+temporal) op / ceiling');
  for (const r of results) {
    const f = r.figures;
    const c = r.ceiling;
    console.log(
      `  ${r.surface.padEnd(9)} ${r.operation.padEnd(9)} ${pad(r.clients, 8)} ${pad(f.count, 6)} ${pad(f.perSecond, 7)} ${pad(f.p50Ms, 7)} ${pad(f.p95Ms, 7)} │ ` +
        `${(shapeLabel(r.shape) + (r.shapeMatches ? '' : ' (!)')).padEnd(28)} ${pad(c.perSecond, 6)} ${pad(c.p50Ms, 7)} ${pad(c.p95Ms, 7)} │ ${pad(r.ratio.toFixed(2), 5)}  ` +
        `${f.cpuMsPerOp.node}+${f.cpuMsPerOp.temporal ?? '?'} / ${c.cpuMsPerOp.node}+${c.cpuMsPerOp.temporal ?? '?'}`,
    );
    if (r.ratio < 0.8) {
      console.log(`      where the time goes: API before the workflow starts ${r.apiBeforeStartMs} ms, after it closes ${r.apiAfterCloseMs} ms; ${describeBreakdown(r.breakdown)}`);
      console.log(`      the ceiling:          ${describeBreakdown(c.breakdown)}`);
    }
    if (!r.shapeMatches) console.log(`      (!) declared shape ${shapeLabel(OPERATIONS.find((d) => d.workflowType === r.workflowType)!.shape)}; measured against the history's`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const surfaces = process.env.BENCH_SURFACES?.split(',');
  printOperationsFigures(
    await runOperationsBench({
      surfaces,
      countOne: Number(process.env.BENCH_COUNT_ONE ?? 10),
      countMany: Number(process.env.BENCH_COUNT_MANY ?? 40),
    }),
  );
  process.exit(0);
}
