import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startSimcloud, type RunningSimcloud, type SimcloudOptions } from '../../cloud/simcloud/index';
import { SimcloudAdmin } from '../../cloud/simcloud-client';

/** The server to create throwaway databases on: DATABASE_URL's server, else the local trust one. */
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database per test file, dropped afterwards (with force: simcloud may still hold a pool). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `simcloud_test_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  return {
    url: withDatabase(baseUrl, name),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export interface TestCloud {
  sim: RunningSimcloud;
  client: SimcloudAdmin;
}

/** Real simcloud on a random port with short delays; small hosts so capacity is easy to exhaust. */
export async function startTestCloud(databaseUrl: string, opts: Partial<SimcloudOptions> = {}): Promise<TestCloud> {
  const sim = await startSimcloud({
    databaseUrl,
    port: 0,
    transitionMs: 30,
    jitterMs: 10,
    leaseDelayMs: 30,
    topology: { regions: ['region-1', 'region-2'], hostsPerRegion: 2, hostCpu: 16, hostMemoryMb: 32_768, hostDiskMb: 100_000 },
    ...opts,
  });
  return { sim, client: new SimcloudAdmin(sim.url, { timeoutMs: 5000 }) };
}

/** Polls until the predicate holds (or fails the test with the last value seen). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let n = 0;
export const token = (prefix = 't') => `${prefix}-${Date.now()}-${n++}`;

export const smallVm = (extra: Record<string, unknown> = {}) => ({
  clientToken: token('vm'),
  name: `vm-${n}`,
  cpu: 2,
  memoryMb: 2048,
  diskMb: 10_000,
  ...extra,
});
