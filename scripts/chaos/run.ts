/**
 * One chaos run, start to end: the platform, the setup of each surface, the load with its
 * disruptions, the settle, the first audit (stuck, duplicates, ownership), the clean-up through
 * the API, the final audit (nothing left, cloud back to its starting counts), and the figures.
 * `npm run chaos` (scripts/chaos.ts) prints them; test/chaos/ asserts them on a small run.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiPool } from '../scale/load';
import { backToBaseline, checkOwnership, cloudSnapshot, countsOf, hasReason, objectKey, objectsOf, runningWorkflows, settleOperations, type Counts, type OperationRecord, type Ownership } from './audit';
import { ChaosClient } from './client';
import { plan, runDisruptions, type FaultTally } from './disruptions';
import { driversFor } from './drivers';
import { gatherEvidence } from './evidence';
import type { DriverContext } from './drivers/types';
import { Ledger, type SurfaceLedger } from './ledger';
import type { ChaosOptions, Surface } from './options';
import { startChaosPlatform } from './platform';

export interface SurfaceFigures {
  surface: string;
  /** Operations the platform recorded (rows of the operations table = workflow runs). */
  started: number;
  completed: number;
  failedWithReason: number;
  failedWithoutReason: number;
  cancelled: number;
  /** Terminated or timed out: ended, but not by the operation itself. */
  killed: number;
  /** Still running at the settle deadline (or at the end of the clean-up, for its own operations). */
  stuck: number;
  byType: Record<string, { started: number; completed: number; failed: number; cancelled: number; stuck: number }>;
  /** Most frequent failure reasons. */
  reasons: Array<[string, number]>;
  duplicates: string[];
  leaked: string[];
  dangling: string[];
  /** Rows the clean-up could not delete, and monitors still running after it. */
  leftovers: string[];
  client?: SurfaceLedger;
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  runId: string;
  seconds: { startup: number; load: number; settle: number; cleanup: number; total: number };
  events: Ledger['events'];
  faults: FaultTally;
  unexpectedExits: string[];
  surfaces: SurfaceFigures[];
  total: SurfaceFigures;
  ownership: Ownership;
  cloud: { baseline: Counts; end: Counts; diff: string[] };
  load: { min: number; mean: number; max: number; cpus: number };
  /** Everything that fails the run: stuck, duplicates, leaks (and failures without a reason). */
  problems: string[];
  /** Per resource a problem names: its operations; their histories are in `evidenceDir`. */
  evidence: string[];
  evidenceDir: string | null;
}

/** mulberry32: a small seeded PRNG, so a run's client choices repeat for a seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log;
  const t0 = Date.now();
  const runId = `ch${randomBytes(3).toString('hex')}`;
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  loadSamples.push(os.loadavg()[0]!);

  log(`chaos ${runId}: starting the platform (Temporal dev server on a SQLite file, ${opts.apis} API, ${opts.workers} workers, simcloud)…`);
  const platform = await startChaosPlatform(opts);
  const { cluster } = platform;
  const drivers = driversFor(opts.surfaces);
  try {
    const startup = Date.now() - t0;
    log(`  platform up in ${seconds(startup)} s (Temporal ${platform.temporalAddress}, ${platform.temporalDbFile})`);

    // A client: an API token for the surfaces that take one, Basic for the rest.
    const basic = Buffer.from(`${cluster.admin.username}:${cluster.admin.password}`).toString('base64');
    const tokenRes = await fetch(`${cluster.apis[0]!.url}/v1/auth/tokens`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `chaos-${runId}`, ttlSeconds: 7 * 24 * 3600 }),
    });
    if (!tokenRes.ok) throw new Error(`could not make an API token: ${tokenRes.status} ${await tokenRes.text()}`);
    const { token } = (await tokenRes.json()) as { token: string };
    const ledger = new Ledger();
    ledger.startedAt = Date.now();
    const random = seeded(opts.seed);
    let stopping = false;
    const client = new ChaosClient(new ApiPool(cluster.apis, 60_000, 5_000), cluster.db, { basic, token, project: 'demo' }, ledger, {
      requestTimeoutMs: opts.requestTimeoutS * 1000,
      operationTimeoutMs: opts.operationTimeoutS * 1000,
      replayRate: opts.replayRate,
      cancelRate: opts.cancelRate,
      random,
    });
    const ctx: DriverContext = {
      client,
      runId,
      db: cluster.db,
      cloud: cluster.cloud,
      cluster,
      ledger,
      random,
      stopping: () => stopping,
      keep: () => random() < opts.keepRate,
    };

    for (const d of drivers) await d.setup?.(ctx);
    const baselineCounts = countsOf(await cluster.cloud.health());
    const baselineObjects = new Set(objectsOf(await cloudSnapshot(cluster)).map(objectKey));

    // ---- the load, with the disruptions on its clock -------------------------------------------
    const durationMs = opts.durationS * 1000;
    const loadStart = Date.now();
    const loadEnd = loadStart + durationMs;
    const tally: FaultTally = { lostResponses: 0, capacity: 0, errors: 0 };
    const disruptions = plan(opts, platform, cluster.cloud, tally);
    log(`  load: ${opts.concurrency} clients over ${drivers.map((d) => d.surface).join(', ')} for ${opts.durationS} s; ${disruptions.length} disruptions planned`);
    const disrupting = runDisruptions(disruptions, loadStart, durationMs, ledger, log);
    const next = new Map<Surface, number>();
    let turn = 0;
    const progress = setInterval(() => {
      const l = drivers.map((d) => `${d.surface} ${ledger.of(d.surface).lifecyclesFinished}/${ledger.of(d.surface).lifecyclesStarted}`).join(', ');
      log(`  [${String(Math.round((Date.now() - loadStart) / 1000)).padStart(4)} s] lifecycles done/started: ${l}; load ${os.loadavg()[0]!.toFixed(1)}`);
    }, 15_000);
    await Promise.all(
      Array.from({ length: Math.max(1, opts.concurrency) }, async () => {
        while (Date.now() < loadEnd && drivers.length) {
          const driver = drivers[turn++ % drivers.length]!;
          const index = next.get(driver.surface) ?? 0;
          next.set(driver.surface, index + 1);
          const l = ledger.of(driver.surface);
          l.lifecyclesStarted++;
          try {
            await driver.lifecycle(ctx, index);
          } catch (err) {
            l.refused++;
            l.refusals.push(`lifecycle #${index} threw: ${err instanceof Error ? err.message : String(err)}`);
          }
          l.lifecyclesFinished++;
          if (Date.now() >= loadEnd) stopping = true;
        }
        stopping = true;
      }),
    );
    clearInterval(progress);
    await disrupting; // the last disruption (faults off) is due before the load ends
    await cluster.cloud.clearFaults().catch(() => {});
    const load = Date.now() - loadStart;
    log(`  load over after ${seconds(load)} s; settling (up to ${opts.settleS} s)…`);

    // ---- settle, then the first audit ------------------------------------------------------------
    const settleStart = Date.now();
    const afterLoad = await settleOperations(cluster, settleStart + opts.settleS * 1000, (n) => n && log(`  ${n} operations still running`));
    const stuckIds = new Set([...afterLoad.values()].filter((o) => o.status === 'running' || o.status === 'unknown').map((o) => o.id));
    const snapshot = await cloudSnapshot(cluster);
    const ownership = await checkOwnership(ctx, drivers, snapshot, baselineObjects);
    const duplicates = new Map<string, string[]>();
    for (const d of drivers) duplicates.set(d.surface, await d.duplicates(ctx, snapshot));
    const settle = Date.now() - settleStart;
    log(`  settled in ${seconds(settle)} s: ${afterLoad.size} operations, ${stuckIds.size} still running; cleaning up (up to ${opts.cleanupS} s)…`);

    // ---- clean-up through the API, then the final audit ---------------------------------------------
    const cleanupStart = Date.now();
    const cleanupDeadline = cleanupStart + opts.cleanupS * 1000;
    await Promise.all(drivers.map((d) => d.cleanup(ctx, cleanupDeadline)));
    const afterCleanup = await settleOperations(cluster, Math.max(Date.now() + 10_000, cleanupDeadline));
    for (const o of afterCleanup.values()) if (!afterLoad.has(o.id) && (o.status === 'running' || o.status === 'unknown')) stuckIds.add(o.id);
    const leftovers = new Map<string, string[]>();
    for (const d of drivers) leftovers.set(d.surface, await d.leftovers(ctx));
    // Monitors (runtime supervisors, address watchers, autoscalers) end with their resource.
    await sleep(2_000);
    const monitors = await runningWorkflows(cluster.temporal, cluster);
    const end = await backToBaseline(cluster, baselineCounts, 30_000);
    const cleanup = Date.now() - cleanupStart;
    // Evidence, while the platform still runs: every resource a problem names, its operations and histories.
    const suspects = [
      ...ownership.leakedOwners,
      ...[...afterCleanup.values()].filter((o) => stuckIds.has(o.id) || (o.status === 'failed' && !hasReason(o))).map((o) => o.resource),
      ...[...leftovers.values()].flat().map((l) => l.split(' ')[0]!),
      ...[...duplicates.values()].flat().flatMap((d) => d.match(/\b(instance|runtime|app|cluster|flavor)\/[0-9a-f-]+/g) ?? []),
    ];
    const evidenceDir = path.join(os.tmpdir(), `provisio-chaos-evidence-${runId}`);
    const evidence = await gatherEvidence(cluster, suspects, afterCleanup, evidenceDir).catch((err) => [`evidence could not be gathered: ${err instanceof Error ? err.message : String(err)}`]);
    log(`  clean-up done in ${seconds(cleanup)} s`);

    // ---- figures -----------------------------------------------------------------------------------
    const ops = [...afterCleanup.values()];
    const figuresOf = (surface: string, mine: OperationRecord[]): SurfaceFigures => {
      const f: SurfaceFigures = {
        surface,
        started: mine.length,
        completed: 0,
        failedWithReason: 0,
        failedWithoutReason: 0,
        cancelled: 0,
        killed: 0,
        stuck: 0,
        byType: {},
        reasons: [],
        duplicates: duplicates.get(surface) ?? [],
        leaked: ownership.leaked[surface] ?? [],
        dangling: ownership.dangling[surface] ?? [],
        leftovers: [
          ...(leftovers.get(surface) ?? []).map((l) => `left: ${l}`),
          ...monitors.filter((m) => m.surface === surface).map((m) => `still running: ${m.type} ${m.workflowId}`),
        ],
        client: drivers.some((d) => d.surface === surface) ? ledger.of(surface as Surface) : undefined,
      };
      const reasons = new Map<string, number>();
      for (const o of mine) {
        const t = (f.byType[o.type] ??= { started: 0, completed: 0, failed: 0, cancelled: 0, stuck: 0 });
        t.started++;
        if (stuckIds.has(o.id)) {
          f.stuck++;
          t.stuck++;
        } else if (o.status === 'completed') {
          f.completed++;
          t.completed++;
        } else if (o.status === 'cancelled') {
          f.cancelled++;
          t.cancelled++;
        } else if (o.status === 'failed') {
          t.failed++;
          if (hasReason(o)) f.failedWithReason++;
          else f.failedWithoutReason++;
        } else {
          f.killed++;
          t.failed++;
        }
        if (o.reason) {
          const short = o.reason.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…').replace(/\b(vm|pod|deployment|build|host|volume|snapshot)-[0-9a-z]+/g, '$1-…').replace(/\b\d+\b/g, 'N').slice(0, 140);
          reasons.set(short, (reasons.get(short) ?? 0) + 1);
        }
      }
      f.reasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
      return f;
    };
    const surfaceNames = [...new Set([...drivers.map((d) => d.surface as string), ...ops.map((o) => o.surface)])];
    const surfaces = surfaceNames.map((s) => figuresOf(s, ops.filter((o) => o.surface === s)));
    const unattributed = [...(ownership.leaked.other ?? []), ...ownership.strayPods];
    const total = figuresOf('total', ops);
    total.duplicates = surfaces.flatMap((s) => s.duplicates);
    total.leaked = [...surfaces.flatMap((s) => s.leaked), ...unattributed];
    total.dangling = surfaces.flatMap((s) => s.dangling);
    total.leftovers = [...surfaces.flatMap((s) => s.leftovers), ...monitors.filter((m) => !surfaceNames.includes(m.surface)).map((m) => `still running: ${m.type} ${m.workflowId}`)];
    total.client = undefined;
    if (unattributed.length) surfaces.push({ ...figuresOf('other', []), leaked: unattributed });

    const problems: string[] = [];
    for (const s of surfaces) {
      const stuck = ops.filter((o) => o.surface === s.surface && stuckIds.has(o.id));
      for (const o of stuck) problems.push(`${s.surface}: stuck: ${o.type} on ${o.resource} (operation ${o.id}) still ${o.status}`);
      for (const o of ops.filter((x) => x.surface === s.surface && x.status === 'failed' && !stuckIds.has(x.id) && !hasReason(x))) {
        problems.push(`${s.surface}: failed without a reason: ${o.type} on ${o.resource} (operation ${o.id}): ${o.reason ?? 'no error'}`);
      }
      for (const d of s.duplicates) problems.push(`${s.surface}: duplicate: ${d}`);
      for (const l of s.leaked) problems.push(`${s.surface}: leaked: ${l}`);
      for (const d of s.dangling) problems.push(`${s.surface}: dangling: ${d}`);
      for (const l of s.leftovers) problems.push(`${s.surface}: after clean-up: ${l}`);
    }
    for (const m of monitors.filter((x) => !surfaceNames.includes(x.surface))) problems.push(`${m.surface}: after clean-up: still running: ${m.type} ${m.workflowId}`);
    for (const d of end.diff) problems.push(`cloud: live counts not back to the start after clean-up: ${d}`);

    const mean = loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length;
    return {
      options: { ...opts, log: undefined } as unknown as Omit<ChaosOptions, 'log'>,
      runId,
      seconds: { startup: seconds(startup), load: seconds(load), settle: seconds(settle), cleanup: seconds(cleanup), total: seconds(Date.now() - t0) },
      events: ledger.events,
      faults: tally,
      unexpectedExits: platform.unexpectedExits,
      surfaces,
      total,
      ownership,
      cloud: { baseline: baselineCounts, end: end.counts, diff: end.diff },
      load: { min: Math.min(...loadSamples), mean: Math.round(mean * 10) / 10, max: Math.max(...loadSamples), cpus: os.cpus().length },
      problems,
      evidence,
      evidenceDir: evidence.length ? evidenceDir : null,
    };
  } finally {
    clearInterval(sampler);
    for (const d of drivers) await d.teardown?.().catch(() => {});
    await platform.stop();
  }
}
