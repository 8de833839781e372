import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { breakDownOperations, operationRun, printBreakdown, type OperationBreakdownFigures } from './bench-breakdown';
import { startBenchPlatform } from './bench-platform';

/**
 * Cluster launches end to end over real HTTP: `clusters` clusters of `nodes` nodes launched at
 * once through the BigData PaaS API, each timed from its POST until it reads `ready`. simcloud
 * starts each pod after `podStartMs`; a cluster's nodes start in parallel, so simcloud's own
 * critical path for a cluster is its slowest pod's start (createdAt → startedAt). The ratio of
 * the two is what the platform adds on top of the cloud.
 */
export interface ClustersBenchOptions {
  clusters?: number;
  /** Rounds of `clusters` launches, one after another (default 1); the figures cover every launch. */
  rounds?: number;
  nodes?: number;
  podStartMs?: number;
  databaseUrl?: string;
}

export interface ClustersFigures {
  clusters: number;
  rounds: number;
  nodes: number;
  podStartMs: number;
  /** Launch-to-ready per cluster, ms: from sending the POST until the status history's `ready`. */
  launchToReady: { p50: number; p95: number; max: number };
  /** simcloud's critical path per cluster, ms: its slowest pod's pending → running. */
  criticalPath: { p50: number; max: number };
  /** Launch-to-ready over critical path, per cluster. */
  ratio: { p50: number; max: number };
  /** p50 of each phase, ms: POST → registered, scheduling → scheduled (placed and running), scheduled → ready. */
  phases: { registered: number; scheduling: number; configuring: number };
  /** All clusters of a round launched and seen ready (polled every 200 ms), ms (the median round). */
  makespanMs: number;
  /** Where the p50 launch's time goes, and its floor: critical path + the engine ceiling of its shape. */
  breakdown: OperationBreakdownFigures;
}

const TEMPLATE = `{% set comma = joiner(",") %}{"dnsname": "{{ clusterid }}",
 "nodes": { {% for n in range(0, opts.size) %}{{ comma() }}"node{{ n }}": {"docker_image": "centos:7", "cpu": 1, "mem": 1024, "disks": {}, "networks": {"eth0": {}}}{% endfor %} },
 "services": {"all": {"nodes": [{% set comma = joiner(",") %}{% for n in range(0, opts.size) %}{{ comma() }}"node{{ n }}"{% endfor %}]}}}`;

type ClusterData = { data: { status: string; error?: string; resource: string; history: Array<{ status: string; at: string }> } };

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runClustersBench(opts: ClustersBenchOptions = {}): Promise<ClustersFigures> {
  const clusters = opts.clusters ?? 10;
  const rounds = opts.rounds ?? 1;
  const nodes = opts.nodes ?? 3;
  const podStartMs = opts.podStartMs ?? 250;
  const { platform, ceiling, stop } = await startBenchPlatform({
    databaseUrl: opts.databaseUrl,
    simcloud: { transitionMs: podStartMs, jitterMs: 0, leaseDelayMs: 20 },
    config: { CLOUD_POLL_MS: '25' },
  });
  const server = serve({ fetch: platform.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bigdata/api/v1`;
  try {
    const auth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
    const issued = await fetch(`${base.replace('/bigdata/api/v1', '')}/v1/auth/tokens`, { method: 'POST', headers: { authorization: auth } });
    const token = ((await issued.json()) as { token: string }).token;
    const call = async (method: string, path: string, body?: string, contentType = 'application/json') => {
      const res = await fetch(`${base}${path}`, { method, redirect: 'manual', headers: { 'x-auth-token': token, 'content-type': contentType }, body });
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    await call('POST', '/products', JSON.stringify({ name: 'bench', version: '1', description: 'bench' }));
    await call('PUT', '/products/bench/1/template', TEMPLATE);
    await call('PUT', '/products/bench/1/options', JSON.stringify({ required: { size: nodes } }));

    /** Launches one cluster and follows it (every 200 ms) until ready; times come from its status history. */
    const launchOne = async () => {
      const postedAt = Date.now();
      const answer = await call('POST', '/products/bench/1', JSON.stringify({ size: nodes }));
      const queue = answer.headers.get('location')!;
      let uri: string | null = null;
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (!uri) {
          const q = await call('GET', queue.slice('/bigdata/api/v1'.length));
          if (q.status === 303) uri = q.headers.get('location')!;
        }
        if (uri) {
          const { data } = (await (await call('GET', uri.slice('/bigdata/api/v1'.length))).json()) as ClusterData;
          if (data.status === 'failed') throw new Error(`${uri} failed: ${data.error}`);
          if (data.status === 'ready') {
            const at = (status: string) => Date.parse(data.history.find((h) => h.status === status)!.at);
            return {
              clusterId: Number(data.resource.split('/')[1]),
              run: await operationRun(platform.db, answer.headers.get('operation-location')),
              postedAt,
              readyAt: at('ready'),
              ms: at('ready') - postedAt,
              registered: at('registered') - postedAt,
              scheduling: at('scheduled') - at('scheduling'),
              configuring: at('ready') - at('scheduled'),
            };
          }
        }
      }
    };
    await launchOne(); // warm-up: the worker's first workflow task loads the workflow bundle
    const launched: Array<Awaited<ReturnType<typeof launchOne>>> = [];
    const makespans: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      launched.push(...(await Promise.all(Array.from({ length: clusters }, launchOne))));
      makespans.push(performance.now() - t0);
    }
    const makespanMs = quantile(makespans, 0.5);

    const pods = await platform.cloud.listPods();
    const deploymentOf = await platform.db.selectFrom('cluster_nodes').select(['cluster_id', 'deployment_id']).execute();
    // Per cluster: its slowest pod's pending → running (the critical path), and when its pods were starting.
    const podsOf = launched.map(({ clusterId }) => {
      const ids = new Set(deploymentOf.filter((n) => n.cluster_id === clusterId).map((n) => n.deployment_id));
      return pods.filter((p) => ids.has(p.deploymentId)).map((p) => ({ createdAt: Date.parse(p.createdAt), startedAt: Date.parse(p.startedAt!) }));
    });
    const criticalPaths = podsOf.map((starts) => Math.max(...starts.map((p) => p.startedAt - p.createdAt)));
    const ratios = launched.map((l, i) => l.ms / criticalPaths[i]!);
    const breakdown = await breakDownOperations(
      platform.temporal,
      ceiling,
      launched.map((l, i) => ({
        run: l.run,
        sentAt: l.postedAt,
        endAt: l.readyAt,
        cloudMs: criticalPaths[i]!,
        cloudWindow: { from: Math.min(...podsOf[i]!.map((p) => p.createdAt)), to: Math.max(...podsOf[i]!.map((p) => p.startedAt)) },
      })),
      clusters,
    );
    const ms = launched.map((l) => l.ms);
    const p50 = (key: 'registered' | 'scheduling' | 'configuring') => round(quantile(launched.map((l) => l[key]), 0.5));
    return {
      clusters,
      rounds,
      nodes,
      podStartMs,
      launchToReady: { p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)), max: round(Math.max(...ms)) },
      criticalPath: { p50: round(quantile(criticalPaths, 0.5)), max: round(Math.max(...criticalPaths)) },
      ratio: { p50: round(quantile(ratios, 0.5), 2), max: round(Math.max(...ratios), 2) },
      phases: { registered: p50('registered'), scheduling: p50('scheduling'), configuring: p50('configuring') },
      makespanMs: round(makespanMs),
      breakdown,
    };
  } finally {
    server.close();
    await stop();
  }
}

export function printClustersFigures(f: ClustersFigures): void {
  const rounds = f.rounds > 1 ? `, ${f.rounds} rounds one after another` : '';
  console.log(
    `clusters: ${f.clusters} clusters of ${f.nodes} nodes launched at once${rounds} through the BigData API (HTTP, Temporal dev server, Postgres, simcloud pods start in ${f.podStartMs} ms)`,
  );
  console.log(`  launch-to-ready ms     p50 ${f.launchToReady.p50}   p95 ${f.launchToReady.p95}   max ${f.launchToReady.max}`);
  console.log(`  simcloud critical ms   p50 ${f.criticalPath.p50}   max ${f.criticalPath.max}   (slowest pod's pending → running, per cluster)`);
  console.log(`  ratio                  p50 ${f.ratio.p50}   max ${f.ratio.max}`);
  console.log(`  phases p50 ms          to registered ${f.phases.registered}   scheduling → scheduled ${f.phases.scheduling}   scheduled → ready ${f.phases.configuring}`);
  console.log(`  all ready after ms     ${f.makespanMs}`);
  printBreakdown(f.breakdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printClustersFigures(await runClustersBench());
  process.exit(0);
}
