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
import { apps } from './bench-drivers/apps';
import { clusters } from './bench-drivers/clusters';
import { compute } from './bench-drivers/compute';
import type { BenchClient, BenchSurface, OperationDriver } from './bench-drivers/driver';
import { flavors } from './bench-drivers/flavors';
import { runtimes } from './bench-drivers/runtimes';
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
 * Each surface's drivers live in scripts/bench-drivers/ (surface, operation, shape, run; what
 * they need set up first); they run in table order on the same resources (create, then start
 * them, …).
 */

/** Every surface the bench drives, each with its operations in the order they build on each other. */
export const SURFACES: BenchSurface[] = [compute, runtimes, apps, flavors, clusters];

/** Every operation the bench drives, surface by surface. */
export const OPERATIONS: OperationDriver[] = SURFACES.flatMap((s) => s.operations);

const declaredShapes = (driver: OperationDriver) => [driver.shape, ...(driver.shapeVariants ?? [])];

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

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
  /** Operations per measurement at 1 client and at 10 clients (a surface may ask for fewer: BenchSurface.counts). */
  countOne?: number;
  countMany?: number;
  clients?: number[];
  databaseUrl?: string;
  /** Only these surfaces (default: all in SURFACES). */
  surfaces?: string[];
  /** Unmeasured runs of each operation first (default 4). */
  warmup?: number;
}

const eventMs = (e: { eventTime?: { seconds?: unknown; nanos?: unknown } | null } | undefined) =>
  Number(e?.eventTime?.seconds ?? 0) * 1000 + Number(e?.eventTime?.nanos ?? 0) / 1e6;

export async function runOperationsBench(opts: OperationsBenchOptions = {}): Promise<OperationFigures[]> {
  const clientCounts = opts.clients ?? [1, 10];
  const countFor = (surface: BenchSurface, clients: number) =>
    clients === 1 ? Math.min(opts.countOne ?? 10, surface.counts?.one ?? Infinity) : Math.min(opts.countMany ?? 40, surface.counts?.many ?? Infinity);
  const surfaces = SURFACES.filter((s) => !opts.surfaces || opts.surfaces.includes(s.surface));
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
    // Builds' RUN steps as short as transitions: an app deploy's build is then its clone and 20 ms.
    simcloud: { transitionMs: 20, jitterMs: 0, leaseDelayMs: 20, buildStepMs: 20 },
    // The apps' autoscalers (scaleOutLimit) stay idle: the bench scales by hand.
    config: { SYNC_WAIT_MS: '120000', APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) },
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
  const undoes: Array<() => Promise<void>> = [];
  try {
    const client: BenchClient = {
      base,
      ...(await adminCredentials(base)),
      platform,
      prepared: {},
      state: {},
      round: 'warmup',
      async request(method, path, init) {
        // Redirects are answers too (a cluster's queue entry: 303 to the cluster).
        const res = await fetch(`${base}${path}`, { method, headers: init.headers, body: init.body, redirect: 'manual' });
        if (res.status !== init.expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
        return res;
      },
    };
    for (const surface of surfaces) {
      const undo = await surface.prepare?.(client);
      if (undo) undoes.push(undo);
    }
    const ceilings = new Map<string, LoadFigures & { breakdown: BreakdownSum }>();
    // Warm up (JIT, connection pools, caches, the workflow bundle's first runs): each operation a
    // few times, unmeasured, on resources of its own.
    client.state = {};
    for (const driver of surfaces.flatMap((s) => s.operations)) await drive(Math.max(2, opts.warmup ?? 4), 2, (i) => driver.run(client, i));
    await measureShape(target, { localActivities: 1, activities: 1 }, 4, 2);
    baselines = await measureBaselines(client);
    for (const clients of clientCounts) {
      client.state = {};
      client.round = `c${clients}`;
      for (const surface of surfaces) {
        const count = countFor(surface, clients);
        for (const driver of surface.operations) {
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
          const key = `${shapeLabel(shape)}@${clients}×${count}`;
          if (!ceilings.has(key)) ceilings.set(key, await measureShape(target, shape, count, clients));
          const ceiling = ceilings.get(key)!;
          results.push({
            surface: driver.surface,
            operation: driver.operation,
            workflowType: driver.workflowType,
            clients,
            figures,
            shape,
            shapeMatches: declaredShapes(driver).some((s) => shapeLabel(s) === shapeLabel(shape)),
            ceiling,
            ratio: Math.round((figures.perSecond / ceiling.perSecond) * 100) / 100,
            breakdown: sampled.breakdown,
            apiBeforeStartMs: sampled.apiBeforeStartMs,
            apiAfterCloseMs: sampled.apiAfterCloseMs,
          });
        }
      }
    }
    lastBaselines = baselines;
    return results;
  } finally {
    for (const undo of undoes) await undo();
    server.close();
    await platform.stop();
    await database.drop();
    await temporal.stop();
  }
}

/** The admin as each surface authenticates: Kahu's session, HTTP Basic, the PaaS's OAuth bearer, an API token. */
async function adminCredentials(base: string): Promise<Pick<BenchClient, 'kahuCookie' | 'basic' | 'paasBearer' | 'apiToken'>> {
  const basic = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
  const answered = async (what: string, res: Response) => {
    if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    return res;
  };
  const login = await answered('Kahu login', await fetch(`${base}/v0/auth/login`, { method: 'POST', body: form({ role: 'admin', password: 'admin' }) }));
  const oauth = await answered(
    'OAuth token',
    await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('openbatonOSClient:secret').toString('base64')}`, accept: 'application/json' },
      body: form({ username: 'admin', password: 'admin', grant_type: 'password' }),
    }),
  );
  const issued = await answered(
    'API token',
    await fetch(`${base}/v1/auth/tokens`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) }),
  );
  return {
    kahuCookie: login.headers.get('set-cookie')!.split(';')[0]!,
    basic,
    paasBearer: `Bearer ${((await oauth.json()) as { value: string }).value}`,
    apiToken: ((await issued.json()) as { token: string }).token,
  };
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
    'API with HTTP Basic, cached (GET /serverless-runtimes)': await p50(() => client.request('GET', '/serverless-runtimes', { headers: { authorization: client.basic }, expected: 200 })),
    'Temporal round trip (describe namespace)': await p50(() => platform.temporal.workflowService.describeNamespace({ namespace: platform.config.TEMPORAL_NAMESPACE })),
  };
}

let lastBaselines: Record<string, number> = {};

/** Up to 10 operations' histories: their command shape (the most frequent), where their time went, and the API around them. */
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
  const shapes = breakdowns.map(({ counts: c }): Shape => ({ localActivities: c.localActivities, activities: c.activities, childWorkflows: c.children }));
  const seen = (s: Shape) => shapes.filter((x) => shapeLabel(x) === shapeLabel(s)).length;
  return {
    shape: [...shapes].sort((a, b) => seen(b) - seen(a))[0] ?? { localActivities: 0, activities: 0 },
    breakdown: addBreakdowns(breakdowns),
    apiBeforeStartMs: Math.round(before / n),
    apiAfterCloseMs: Math.round(after / n),
  };
}

const pad = (v: string | number, n: number) => String(v).padStart(n);

export function printOperationsFigures(results: OperationFigures[]): void {
  console.log('operations through the API (HTTP, Temporal dev server, Postgres, simcloud at ~20 ms per transition and build step)');
  console.log('next to an empty workflow of the same command shape on the same server, worker and client (ratio = ops/s over the ceiling\'s)');
  console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on this machine`);
  console.log('  round trips inside every operation (p50 ms):');
  for (const [what, ms] of Object.entries(lastBaselines)) console.log(`    ${what.padEnd(56)} ${ms}`);
  console.log('  surface   operation      clients  count   ops/s  p50 ms  p95 ms │ ceiling: shape                ops/s  p50 ms  p95 ms │ ratio  cpu ms/op (node+temporal) op / ceiling');
  for (const r of results) {
    const f = r.figures;
    const c = r.ceiling;
    console.log(
      `  ${r.surface.padEnd(9)} ${r.operation.padEnd(13)} ${pad(r.clients, 8)} ${pad(f.count, 6)} ${pad(f.perSecond, 7)} ${pad(f.p50Ms, 7)} ${pad(f.p95Ms, 7)} │ ` +
        `${(shapeLabel(r.shape) + (r.shapeMatches ? '' : ' (!)')).padEnd(28)} ${pad(c.perSecond, 6)} ${pad(c.p50Ms, 7)} ${pad(c.p95Ms, 7)} │ ${pad(r.ratio.toFixed(2), 5)}  ` +
        `${f.cpuMsPerOp.node}+${f.cpuMsPerOp.temporal ?? '?'} / ${c.cpuMsPerOp.node}+${c.cpuMsPerOp.temporal ?? '?'}`,
    );
    if (r.ratio < 0.8) {
      console.log(`      where the time goes: API before the workflow starts ${r.apiBeforeStartMs} ms, after it closes ${r.apiAfterCloseMs} ms; ${describeBreakdown(r.breakdown)}`);
      console.log(`      the ceiling:          ${describeBreakdown(c.breakdown)}`);
    }
    if (!r.shapeMatches) {
      const declared = declaredShapes(OPERATIONS.find((d) => d.surface === r.surface && d.operation === r.operation)!);
      console.log(`      (!) declared shape ${declared.map(shapeLabel).join(' or ')}; measured against the history's`);
    }
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
