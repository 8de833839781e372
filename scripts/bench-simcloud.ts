import { pathToFileURL } from 'node:url';
import type { Vm } from '../cloud/contract';
import { SimcloudAdmin } from '../cloud/simcloud-client';
import { startSimcloud } from '../cloud/simcloud/index';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * simcloud at scale: 1,000 added hosts and 10,000 VMs over HTTP on a throwaway database.
 * Prints figures; asserts nothing about speed (speed goals live in benches, not tests).
 */
export interface SimcloudBenchOptions {
  databaseUrl?: string;
  hosts?: number;
  vms?: number;
  concurrency?: number;
}

export interface SimcloudBenchFigures {
  hostsAdded: number;
  vmsCreated: number;
  addHostsMs: number;
  createsPerSecond: number;
  createP50Ms: number;
  createP99Ms: number;
  getP50Ms: number;
  getP99Ms: number;
  listAllMs: number;
  listByHostMs: number;
  rssMb: number;
  heapUsedMb: number;
  restartLoadMs: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function pooled<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

export async function runSimcloudBench(opts: SimcloudBenchOptions = {}): Promise<SimcloudBenchFigures> {
  const hostCount = opts.hosts ?? 1000;
  const vmCount = opts.vms ?? 10_000;
  const concurrency = opts.concurrency ?? 32;
  const database = await createThrowawayDatabase(opts.databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, 'simcloud_bench');

  const start = () => startSimcloud({ databaseUrl: database.url, port: 0, transitionMs: 1, jitterMs: 0, leaseDelayMs: 1, seed: 1 });
  let sim = await start();
  try {
    const client = new SimcloudAdmin(sim.url, { timeoutMs: 30_000 });

    const [, addHostsMs] = await timed(() =>
      pooled(Math.ceil(hostCount / 100), 2, (i) =>
        client.addHosts({ region: `bench-${i % 4}`, count: Math.min(100, hostCount - i * 100), labels: { RACK: String(i) } }),
      ),
    );

    const createLatencies: number[] = new Array(vmCount);
    const [created, createMs] = await timed(() =>
      pooled(vmCount, concurrency, async (i) => {
        const t0 = performance.now();
        const vm = await client.createVm({
          clientToken: `bench-${i}`,
          name: `bench-${i}`,
          region: `bench-${i % 4}`,
          cpu: 1,
          memoryMb: 1024,
          diskMb: 10_240,
        });
        createLatencies[i] = performance.now() - t0;
        return vm;
      }),
    );
    createLatencies.sort((a, b) => a - b);

    const sample = Math.min(2000, created.length);
    const getLatencies = await pooled(sample, concurrency, async (i) => {
      const t0 = performance.now();
      await client.getVm(created[(i * 7919) % created.length]!.id);
      return performance.now() - t0;
    });
    getLatencies.sort((a, b) => a - b);

    const [all, listAllMs] = await timed(() => client.listVms());
    if (all.length < vmCount) throw new Error(`listVms returned ${all.length}, expected ${vmCount}`);
    const [, listByHostMs] = await timed(() => client.listVms({ hostId: created[0]!.hostId }));
    // Let the building→stopped timers finish so the restart loads settled state.
    const settle = Date.now();
    let vms: Vm[] = [];
    do {
      await new Promise((r) => setTimeout(r, 200));
      vms = await client.listVms({ state: 'building' });
    } while (vms.length > 0 && Date.now() - settle < 30_000);
    const mem = process.memoryUsage();

    await sim.close();
    const [restarted, restartLoadMs] = await timed(start);
    sim = restarted;
    const after = await new SimcloudAdmin(sim.url).listVms();
    if (after.length !== all.length) throw new Error(`after restart: ${after.length} VMs, expected ${all.length}`);

    return {
      hostsAdded: hostCount,
      vmsCreated: created.length,
      addHostsMs: Math.round(addHostsMs),
      createsPerSecond: Math.round((vmCount / createMs) * 1000),
      createP50Ms: round(pct(createLatencies, 50)),
      createP99Ms: round(pct(createLatencies, 99)),
      getP50Ms: round(pct(getLatencies, 50)),
      getP99Ms: round(pct(getLatencies, 99)),
      listAllMs: Math.round(listAllMs),
      listByHostMs: round(listByHostMs),
      rssMb: Math.round(mem.rss / 2 ** 20),
      heapUsedMb: Math.round(mem.heapUsed / 2 ** 20),
      restartLoadMs: Math.round(restartLoadMs),
    };
  } finally {
    await sim.close().catch(() => {});
    await database.drop().catch(() => {});
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runSimcloudBench();
  console.log('simcloud bench (server and client in one process; RSS includes both)');
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(18)} ${v}`);
}
