import { pathToFileURL } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startInProcessPlatform } from './in-process-platform';
import { ensureTemporalCli } from './install-temporal';
import { startTemporalDevServer } from './temporal-dev-server';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * Flavor fan-out: one flavor installed into `regions` regions at once (POST /v1/flavors with
 * every region as a node, answered once installed everywhere), against the slowest of the
 * single-region installs. A ratio near 1 means the regions really are installed in parallel.
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
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function runFlavorsBench(opts: FlavorsBenchOptions = {}): Promise<FlavorsBenchFigures> {
  const regionCount = opts.regions ?? 20;
  const rounds = opts.rounds ?? 5;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
  const temporal = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), port: 0, uiPort: false, logLevel: 'error', onLine: () => {} });
  const database = await createThrowawayDatabase(opts.databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, 'provisio_bench_flavors');
  const platform = await startInProcessPlatform({
    databaseUrl: database.url,
    temporalAddress: temporal.address,
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
    };
    for (const name of regions) {
      await call('/v1/infrastructures', { infrastructure: { name, keystone_url: platform.simcloudUrl, username: 'simcloud', password: 'simcloud-dev-secret', tenant: 'bench' } }, 201);
    }
    let n = 0;
    const install = async (nodes: string[]) => {
      const started = performance.now();
      await call('/v1/flavors', { flavor: { name: `bench-${n++}`, vcpus: 1, ram: 512, disk: 1, swap: 0, nodes } }, 201);
      return performance.now() - started;
    };

    await install([regions[0]!]); // warm-up: worker caches, connections
    const single: number[] = [];
    for (const region of regions) single.push(await install([region]));
    const fanOut: number[] = [];
    for (let r = 0; r < rounds; r++) fanOut.push(await install(regions));

    const slowest = Math.max(...single);
    return {
      regions: regionCount,
      fanOutMedianMs: Math.round(median(fanOut)),
      fanOutMaxMs: Math.round(Math.max(...fanOut)),
      singleRegionMedianMs: Math.round(median(single)),
      singleRegionSlowestMs: Math.round(slowest),
      ratio: Math.round((median(fanOut) / slowest) * 100) / 100,
    };
  } finally {
    await platform.stop();
    await database.drop();
    await temporal.stop();
  }
}

export function printFlavorsFigures(f: FlavorsBenchFigures): void {
  console.log(`flavor fan-out through the API (in-process app, Temporal dev server, Postgres, simcloud): one flavor into ${f.regions} regions`);
  console.log(`  fan-out install, median ms       ${f.fanOutMedianMs}`);
  console.log(`  fan-out install, max ms          ${f.fanOutMaxMs}`);
  console.log(`  single-region install, median ms ${f.singleRegionMedianMs}`);
  console.log(`  single-region install, slowest   ${f.singleRegionSlowestMs}`);
  console.log(`  ratio fan-out / slowest single   ${f.ratio}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFlavorsFigures(await runFlavorsBench());
  process.exit(0);
}
