import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { CloudError, type CloudBackend } from '../cloud/contract';
import { CONTAINER_SIZE, MEDIA_SERVER_SIZES } from '../db/apps';
import { gitRepository, seedCreateBody } from '../test/apps/support';
import { breakDownOperations, operationRun, printBreakdown, type MeasuredOperation, type OperationBreakdownFigures } from './bench-breakdown';
import { startBenchPlatform } from './bench-platform';

/**
 * App deploys, end to end over real HTTP: `apps` copies of the seed's example (3 MEDIUM media
 * servers, a mysql service, 2 app pods, from a local git repository) POSTed at once, timed until
 * each reads RUNNING. Against that, simcloud's own critical path for the same apps, driven
 * directly and as fast as it goes: media-server VMs booted with their floating IP, the image
 * built, the service then the app deployed. Their ratio is what the platform adds.
 */
export interface AppsBenchOptions {
  apps?: number;
  databaseUrl?: string;
}

export interface AppsBenchFigures {
  apps: number;
  /** POST → RUNNING through the platform. */
  platformMedianMs: number;
  platformMaxMs: number;
  /** The same steps driven directly against simcloud. */
  criticalPathMedianMs: number;
  criticalPathMaxMs: number;
  steps: { vmBootMs: number; buildMs: number; serviceDeployMs: number; appDeployMs: number };
  ratio: number;
  /** Where the p50 deploy's time goes, and its floor: critical path + the engine ceiling of its shape. */
  breakdown: OperationBreakdownFigures;
}

/** simcloud's timing in this bench: transitions of 50 ms, RUN steps of 100 ms. */
const SIMCLOUD = { transitionMs: 50, jitterMs: 0, leaseDelayMs: 50, buildStepMs: 100, podLogIntervalMs: 1000 };
const DIRECT_POLL_MS = 20;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it answers; a transient cloud error (a timeout on a busy machine) is polled through, as activities retry. */
async function until<T>(probe: () => Promise<T | undefined>, pollMs: number, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch((err: unknown) => {
      if (err instanceof CloudError && err.retryable) return undefined;
      throw err;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(pollMs);
  }
}

/** A create, retried through transient errors (its client token makes the retry return the same object). */
const create = <T>(fn: () => Promise<T>) => until(fn, DIRECT_POLL_MS);

/** One app's steps straight against simcloud, each timed; everything it made is deleted after. */
async function directDeploy(cloud: CloudBackend, gitUrl: string, n: number) {
  const token = (step: string) => `bench-direct-${n}-${step}`;
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    return [await fn(), performance.now() - t];
  };
  const created: { vms: string[]; deployments: string[]; build?: string } = { vms: [], deployments: [] };
  try {
    const [, vmBootMs] = await timed(() =>
      Promise.all(
        [1, 2, 3].map(async (i) => {
          const vm = await create(() => cloud.createVm({ clientToken: token(`vm-${i}`), name: `bench-${n}-ms-${i}`, ...MEDIA_SERVER_SIZES.MEDIUM }));
          created.vms.push(vm.id);
          await until(async () => {
            const v = await cloud.getVm(vm.id);
            if (v.state === 'stopped') await cloud.startVm(vm.id);
            return v.state === 'running' && v.addresses.external ? v : undefined;
          }, DIRECT_POLL_MS);
        }),
      ),
    );
    const [image, buildMs] = await timed(async () => {
      const build = await create(() => cloud.createBuild({ clientToken: token('build'), name: `bench-${n}`, gitUrl }));
      created.build = build.id;
      const done = await until(async () => {
        const b = await cloud.getBuild(build.id);
        return b.state === 'succeeded' ? b : b.state === 'failed' ? Promise.reject(new Error(b.error ?? 'build failed')) : undefined;
      }, DIRECT_POLL_MS);
      return done.image!.ref;
    });
    const deploy = async (name: string, img: string, replicas: number) => {
      const d = await create(() => cloud.createDeployment({ clientToken: token(name), name: `bench-${n}-${name}`, image: img, replicas, ...CONTAINER_SIZE }));
      created.deployments.push(d.id);
      await until(async () => ((await cloud.getDeployment(d.id)).readyReplicas >= replicas ? true : undefined), DIRECT_POLL_MS);
    };
    const [, serviceDeployMs] = await timed(() => deploy('svc', 'registry.access.redhat.com/openshift3/mysql-55-rhel7', 1));
    const [, appDeployMs] = await timed(() => deploy('app', image, 2));
    return { vmBootMs, buildMs, serviceDeployMs, appDeployMs, totalMs: vmBootMs + buildMs + serviceDeployMs + appDeployMs };
  } finally {
    for (const id of created.deployments) await cloud.deleteDeployment(id);
    for (const id of created.vms) await cloud.deleteVm(id);
    if (created.build) await cloud.deleteBuild(created.build);
  }
}

export async function runAppsBench(opts: AppsBenchOptions = {}): Promise<AppsBenchFigures> {
  const count = opts.apps ?? 10;
  const { platform, ceiling, stop } = await startBenchPlatform({
    databaseUrl: opts.databaseUrl,
    simcloud: SIMCLOUD,
    config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) },
  });
  const repo = await gitRepository();
  const server = serve({ fetch: platform.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/nubomedia/paas`;
  try {
    const client = `Basic ${Buffer.from('openbatonOSClient:secret').toString('base64')}`;
    const tokenRes = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: client },
      body: new URLSearchParams({ username: 'admin', password: 'admin', grant_type: 'password' }),
    });
    const { value: token } = (await tokenRes.json()) as { value: string };
    const headers = { authorization: `Bearer ${token}`, 'project-id': 'demo', 'content-type': 'application/json' };
    /** One deploy, POST → RUNNING: its run and its window (epoch ms, for its history). */
    const deployOne = async () => {
      const t0 = performance.now();
      const sentAt = Date.now();
      const res = await fetch(`${base}/app`, { method: 'POST', headers, body: JSON.stringify(seedCreateBody(repo.url)) });
      if (res.status !== 200) throw new Error(`POST /app: ${res.status} ${await res.text()}`);
      const { app, operation } = (await res.json()) as { app: { id: string }; operation: string };
      await until(async () => {
        const a = (await (await fetch(`${base}/app/${app.id}`, { headers })).json()) as { status: string; error?: string };
        if (a.status === 'FAILED') throw new Error(`app ${app.id} FAILED: ${a.error}`);
        return a.status === 'RUNNING' ? true : undefined;
      }, 100); // not faster: this client's polling would load the platform it measures
      return { ms: performance.now() - t0, sentAt, endAt: Date.now(), run: await operationRun(platform.db, operation) };
    };
    await deployOne(); // warms the worker up (workflow bundle, connections): not counted
    const deploys = await Promise.all(Array.from({ length: count }, deployOne));
    const durations = deploys.map((d) => d.ms);
    const deleted = await fetch(`${base}/app`, { method: 'DELETE', headers });
    if (deleted.status !== 200) throw new Error(`DELETE /app: ${deleted.status} ${await deleted.text()}`);
    // The same apps' steps straight against the same simcloud, now idle again.
    const direct = await Promise.all(Array.from({ length: count }, (_, n) => directDeploy(platform.cloud, repo.url, n)));

    const totals = direct.map((d) => d.totalMs);
    const round = (n: number) => Math.round(n);
    // The apps' own critical paths are not told apart: each deploy gets the median one.
    const measured: MeasuredOperation[] = deploys.map((d) => ({ run: d.run, sentAt: d.sentAt, endAt: d.endAt, cloudMs: median(totals) }));
    return {
      apps: count,
      platformMedianMs: round(median(durations)),
      platformMaxMs: round(Math.max(...durations)),
      criticalPathMedianMs: round(median(totals)),
      criticalPathMaxMs: round(Math.max(...totals)),
      steps: {
        vmBootMs: round(median(direct.map((d) => d.vmBootMs))),
        buildMs: round(median(direct.map((d) => d.buildMs))),
        serviceDeployMs: round(median(direct.map((d) => d.serviceDeployMs))),
        appDeployMs: round(median(direct.map((d) => d.appDeployMs))),
      },
      ratio: Math.round((median(durations) / median(totals)) * 100) / 100,
      breakdown: await breakDownOperations(platform.temporal, ceiling, measured, count),
    };
  } finally {
    server.close();
    await repo.remove();
    await stop();
  }
}

export function printAppsFigures(f: AppsBenchFigures): void {
  const s = SIMCLOUD;
  console.log(
    `app deploys: ${f.apps} of the seed's example POSTed at once (3 MEDIUM media servers, a service, 2 app pods; simcloud transitions ${s.transitionMs} ms, lease ${s.leaseDelayMs} ms, RUN steps ${s.buildStepMs} ms)`,
  );
  console.log(`  POST → RUNNING           median ${f.platformMedianMs} ms, max ${f.platformMaxMs} ms`);
  console.log(`  simcloud critical path   median ${f.criticalPathMedianMs} ms, max ${f.criticalPathMaxMs} ms (driven directly, ${f.apps} at once)`);
  console.log(`    VM boot ${f.steps.vmBootMs} ms + build ${f.steps.buildMs} ms + service ${f.steps.serviceDeployMs} ms + app ${f.steps.appDeployMs} ms (medians)`);
  console.log(`  ratio                    ${f.ratio}×`);
  printBreakdown(f.breakdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printAppsFigures(await runAppsBench());
  process.exit(0);
}
