import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Build, Vm } from '../cloud/contract';
import { SimcloudAdmin } from '../cloud/simcloud-client';
import { startSimcloud } from '../cloud/simcloud/index';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * simcloud at scale over HTTP on a throwaway database: 1,000 added hosts and 10,000 VMs, then
 * 10,000 pods on the same hosts, then 20 concurrent builds of a local git repository.
 * Prints figures; asserts nothing about speed (speed goals live in benches, not tests).
 */
export interface SimcloudBenchOptions {
  databaseUrl?: string;
  hosts?: number;
  vms?: number;
  pods?: number;
  builds?: number;
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
  podsCreated: number;
  podCreatesPerSecond: number;
  podCreateP50Ms: number;
  podCreateP99Ms: number;
  rssAfterPodsMb: number;
  restartLoadMs: number;
  buildsRun: number;
  buildsPerSecond: number;
  buildP50Ms: number;
  buildP99Ms: number;
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

/** A bare repository with a small Node app and its Dockerfile, to build over file://. */
function createBenchRepository(): { url: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simcloud-bench-repo-'));
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd, stdio: 'pipe' });
  const bare = path.join(dir, 'app.git');
  const work = path.join(dir, 'work');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(dir, 'init', '--quiet', '--initial-branch=main', work);
  writeFileSync(path.join(work, 'package.json'), '{"name":"bench","version":"1.0.0"}');
  writeFileSync(path.join(work, 'server.js'), 'require("http").createServer((_, res) => res.end("ok")).listen(8080);');
  writeFileSync(
    path.join(work, 'Dockerfile'),
    'FROM node:20-slim\nENV NODE_ENV=production\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\nRUN npm test\nEXPOSE 8080\nCMD ["node", "server.js"]\n',
  );
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'bench');
  git(work, 'push', '--quiet', bare, 'main');
  return { url: pathToFileURL(bare).href, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runSimcloudBench(opts: SimcloudBenchOptions = {}): Promise<SimcloudBenchFigures> {
  const hostCount = opts.hosts ?? 1000;
  const vmCount = opts.vms ?? 10_000;
  const podCount = opts.pods ?? 10_000;
  const buildCount = opts.builds ?? 20;
  const concurrency = opts.concurrency ?? 32;
  const database = await createThrowawayDatabase(opts.databaseUrl ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, 'simcloud_bench');
  const repository = createBenchRepository();

  // RUN steps take no simulated time: the build figures measure the real work (clone, parse, COPY matching).
  const start = () =>
    startSimcloud({
      databaseUrl: database.url,
      port: 0,
      transitionMs: 1,
      jitterMs: 0,
      leaseDelayMs: 1,
      podLogIntervalMs: 5000,
      buildStepMs: 0,
      maxConcurrentBuilds: buildCount,
      seed: 1,
    });
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

    // Pods: one single-replica deployment per create, in spread groups of ten, on the same hosts as the VMs.
    const podLatencies: number[] = new Array(podCount);
    const [, podsMs] = await timed(() =>
      pooled(podCount, concurrency, async (i) => {
        const t0 = performance.now();
        await client.createDeployment({
          clientToken: `bench-pod-${i}`,
          name: `bench-${i}`,
          image: 'nginx:1.27',
          region: `bench-${i % 4}`,
          replicas: 1,
          cpu: 0.5,
          memoryMb: 512,
          spreadGroup: `group-${Math.floor(i / 10)}`,
        });
        podLatencies[i] = performance.now() - t0;
      }),
    );
    podLatencies.sort((a, b) => a - b);
    const health = await client.health();
    if (health.pods < podCount) throw new Error(`health counts ${health.pods} pods, expected ${podCount}`);
    const rssAfterPods = process.memoryUsage().rss;

    await sim.close();
    const [restarted, restartLoadMs] = await timed(start);
    sim = restarted;
    const admin = new SimcloudAdmin(sim.url, { timeoutMs: 30_000 });
    const after = await admin.listVms();
    if (after.length !== all.length) throw new Error(`after restart: ${after.length} VMs, expected ${all.length}`);

    // Builds: all at once, each a real clone of the local repository.
    const [finished, buildsMs] = await timed(async () => {
      const started = await Promise.all(
        Array.from({ length: buildCount }, (_, i) => admin.createBuild({ clientToken: `bench-build-${i}`, name: `bench-${i}`, gitUrl: repository.url })),
      );
      const done: Build[] = [];
      for (const b of started) {
        let build = b;
        while (!['succeeded', 'failed', 'cancelled'].includes(build.state)) {
          await new Promise((r) => setTimeout(r, 20));
          build = await admin.getBuild(b.id);
        }
        done.push(build);
      }
      return done;
    });
    const failedBuilds = finished.filter((b) => b.state !== 'succeeded');
    if (failedBuilds.length) throw new Error(`${failedBuilds.length} builds did not succeed: ${failedBuilds[0]!.error}`);
    const buildDurations = finished.map((b) => Date.parse(b.finishedAt!) - Date.parse(b.createdAt)).sort((a, b) => a - b);

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
      podsCreated: podCount,
      podCreatesPerSecond: Math.round((podCount / podsMs) * 1000),
      podCreateP50Ms: round(pct(podLatencies, 50)),
      podCreateP99Ms: round(pct(podLatencies, 99)),
      rssAfterPodsMb: Math.round(rssAfterPods / 2 ** 20),
      restartLoadMs: Math.round(restartLoadMs),
      buildsRun: finished.length,
      buildsPerSecond: round((finished.length / buildsMs) * 1000),
      buildP50Ms: Math.round(pct(buildDurations, 50)),
      buildP99Ms: Math.round(pct(buildDurations, 99)),
    };
  } finally {
    await sim.close().catch(() => {});
    await database.drop().catch(() => {});
    repository.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runSimcloudBench();
  console.log('simcloud bench: 1,000 hosts, 10,000 VMs, 10,000 pods, 20 concurrent builds (server and client in one process; RSS includes both)');
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(18)} ${v}`);
}
