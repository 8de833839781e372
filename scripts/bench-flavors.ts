import { pathToFileURL } from 'node:url';
import type { CloudBackend } from '../cloud/contract';
import { breakDownOperations, operationRun, printBreakdown, type MeasuredOperation, type OperationBreakdownFigures } from './bench-breakdown';
import { startBenchPlatform } from './bench-platform';

/**
 * Flavor fan-out: one flavor installed into `regions` regions at once (POST /v1/flavors with
 * every region as a node, answered once installed everywhere), against the slowest of the
 * single-region installs. A ratio near 1 means the regions really are installed in parallel.
 * Against that too, simcloud's own critical path: the same flavor created in every region's
 * catalog at once, straight against simcloud.
 */
export interface FlavorsBenchOptions {
  regions?: number;
  /** Fan-out installs measured (the median is reported). */
  rounds?: number;
  databaseUrl?: string;
}

export interface FlavorsBenchFigures {
  regions: number;
  fanOutMedianMs: number;
  fanOutMaxMs: number;
  singleRegionMedianMs: number;
  singleRegionSlowestMs: number;
  ratio: number;
  /** simcloud's own critical path: one flavor created in every region at once, driven directly (median of the rounds). */
  criticalPathMedianMs: number;
  /** Fan-out install over that critical path. */
  criticalPathRatio: number;
  /** Where the p50 fan-out's time goes, and its floor: critical path + the engine ceiling of its shape. */
  breakdown: OperationBreakdownFigures;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** One flavor created in every region's catalog at once, straight against simcloud; the time until the last answers. Removed after. */
async function directFanOut(cloud: CloudBackend, simcloudUrl: string, regions: string[], round: number): Promise<number> {
  const catalogs = regions.map((region) => cloud.regionCatalog({ url: simcloudUrl, region, username: 'simcloud', password: 'simcloud-dev-secret' }));
  const flavor = { id: `bench-direct-${round}`, name: `bench-direct-${round}`, vcpus: 1, ram: 512, disk: 1, swap: 0 };
  const started = performance.now();
  await Promise.all(catalogs.map((catalog) => catalog.createFlavor(flavor)));
  const ms = performance.now() - started;
  await Promise.all(catalogs.map((catalog) => catalog.deleteFlavor(flavor.id)));
  return ms;
}

export async function runFlavorsBench(opts: FlavorsBenchOptions = {}): Promise<FlavorsBenchFigures> {
  const regionCount = opts.regions ?? 20;
  const rounds = opts.rounds ?? 5;
  const { platform, ceiling, stop } = await startBenchPlatform({
    databaseUrl: opts.databaseUrl,
    databasePrefix: 'provisio_bench_flavors',
    simcloud: { transitionMs: 20, jitterMs: 0, leaseDelayMs: 20 },
    config: { SYNC_WAIT_MS: '120000' },
  });
  try {
    const regions = Array.from({ length: regionCount }, (_, i) => `region-${i + 1}`);
    const existing = new Set((await platform.cloud.listRegions()).map((r) => r.name));
    for (const region of regions) if (!existing.has(region)) await platform.cloud.addHosts({ region });

    const basic = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
    const issued = await platform.app.request('/v1/auth/tokens', { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: '{}' });
    const token = ((await issued.json()) as { token: string }).token;
    const call = async (path: string, body: unknown, expected: number) => {
      const res = await platform.app.request(path, {
        method: 'POST',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== expected) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    for (const name of regions) {
      await call('/v1/infrastructures', { infrastructure: { name, keystone_url: platform.simcloudUrl, username: 'simcloud', password: 'simcloud-dev-secret', tenant: 'bench' } }, 201);
    }
    let n = 0;
    const install = async (nodes: string[]) => {
      const started = performance.now();
      const sentAt = Date.now();
      const res = await call('/v1/flavors', { flavor: { name: `bench-${n++}`, vcpus: 1, ram: 512, disk: 1, swap: 0, nodes } }, 201);
      return { ms: performance.now() - started, sentAt, endAt: Date.now(), operation: res.headers.get('operation-location') };
    };

    await install([regions[0]!]); // warm-up: worker caches, connections
    const single: number[] = [];
    for (const region of regions) single.push((await install([region])).ms);
    const fanOuts = [];
    for (let r = 0; r < rounds; r++) fanOuts.push(await install(regions));
    const fanOut = fanOuts.map((f) => f.ms);
    const direct: number[] = [];
    for (let r = 0; r < rounds; r++) direct.push(await directFanOut(platform.cloud, platform.simcloudUrl, regions, r));
    const criticalPathMs = median(direct);
    const measured: MeasuredOperation[] = await Promise.all(
      fanOuts.map(async (f) => ({ run: await operationRun(platform.db, f.operation), sentAt: f.sentAt, endAt: f.endAt, cloudMs: criticalPathMs })),
    );

    const slowest = Math.max(...single);
    return {
      regions: regionCount,
      fanOutMedianMs: Math.round(median(fanOut)),
      fanOutMaxMs: Math.round(Math.max(...fanOut)),
      singleRegionMedianMs: Math.round(median(single)),
      singleRegionSlowestMs: Math.round(slowest),
      ratio: Math.round((median(fanOut) / slowest) * 100) / 100,
      criticalPathMedianMs: Math.round(criticalPathMs),
      criticalPathRatio: Math.round((median(fanOut) / criticalPathMs) * 100) / 100,
      breakdown: await breakDownOperations(platform.temporal, ceiling, measured, 1),
    };
  } finally {
    await stop();
  }
}

export function printFlavorsFigures(f: FlavorsBenchFigures): void {
  console.log(`flavor fan-out through the API (in-process app, Temporal dev server, Postgres, simcloud): one flavor into ${f.regions} regions`);
  console.log(`  fan-out install, median ms       ${f.fanOutMedianMs}`);
  console.log(`  fan-out install, max ms          ${f.fanOutMaxMs}`);
  console.log(`  single-region install, median ms ${f.singleRegionMedianMs}`);
  console.log(`  single-region install, slowest   ${f.singleRegionSlowestMs}`);
  console.log(`  ratio fan-out / slowest single   ${f.ratio}`);
  console.log(`  simcloud critical path, median   ${f.criticalPathMedianMs} ms (the flavor created in all ${f.regions} regions at once, directly)`);
  console.log(`  ratio fan-out / critical path    ${f.criticalPathRatio}`);
  printBreakdown(f.breakdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFlavorsFigures(await runFlavorsBench());
  process.exit(0);
}
