import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startInProcessPlatform } from './in-process-platform';
import { ensureTemporalCli } from './install-temporal';
import { startTemporalDevServer } from './temporal-dev-server';
import { createThrowawayDatabase, LOCAL_POSTGRES_URL } from './throwaway-database';

/**
 * Platform overhead, end to end over real HTTP: N instances created, started, stopped and deleted
 * through the Kahu API with `concurrency` clients, on a Temporal dev server, Postgres and a simcloud
 * whose own transitions take ~20 ms. Prints latency and throughput per operation.
 */
export interface OperationsBenchOptions {
  instances?: number;
  concurrency?: number;
  databaseUrl?: string;
}

export interface PhaseFigures {
  operation: string;
  count: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function phase(name: string, count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<PhaseFigures> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        await task(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const total = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    operation: name,
    count,
    perSecond: Math.round((count / total) * 10000) / 10,
    p50Ms: Math.round(pct(latencies, 50)),
    p95Ms: Math.round(pct(latencies, 95)),
    maxMs: Math.round(latencies[latencies.length - 1] ?? 0),
  };
}

export async function runOperationsBench(opts: OperationsBenchOptions = {}): Promise<PhaseFigures[]> {
  const count = opts.instances ?? 40;
  const concurrency = opts.concurrency ?? 10;
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
  try {
    const login = await fetch(`${base}/v0/auth/login`, { method: 'POST', body: new URLSearchParams({ role: 'admin', password: 'admin' }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const call = async (method: string, path: string, form?: Record<string, string>, expected = 200) => {
      const res = await fetch(`${base}${path}`, { method, headers: { cookie }, body: form ? new URLSearchParams(form) : undefined });
      if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    const locations: string[] = [];
    const figures = [
      await phase('create', count, concurrency, async (i) => {
        const res = await call('POST', '/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: `bench-${i}` }, 201);
        locations[i] = res.headers.get('location')!;
      }),
      await phase('start', count, concurrency, (i) => call('POST', `${locations[i]}start`).then(() => {})),
      await phase('stop', count, concurrency, (i) => call('POST', `${locations[i]}stop`).then(() => {})),
      await phase('delete', count, concurrency, (i) => call('DELETE', locations[i]!).then(() => {})),
    ];
    return figures;
  } finally {
    server.close();
    await platform.stop();
    await database.drop();
    await temporal.stop();
  }
}

export function printOperationsFigures(figures: PhaseFigures[], concurrency = 10): void {
  console.log(`operations through the API (HTTP, Temporal dev server, Postgres, simcloud at ~20 ms per transition; ${concurrency} clients)`);
  console.log('  operation   count   ops/s    p50 ms   p95 ms   max ms');
  for (const f of figures) {
    console.log(
      `  ${f.operation.padEnd(10)} ${String(f.count).padStart(6)} ${String(f.perSecond).padStart(7)} ${String(f.p50Ms).padStart(9)} ${String(f.p95Ms).padStart(8)} ${String(f.maxMs).padStart(8)}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printOperationsFigures(await runOperationsBench());
  process.exit(0);
}
