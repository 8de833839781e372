import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from '../support/database';
import { startSimcloud, type RunningSimcloud, type SimcloudOptions } from '../../cloud/simcloud/index';
import type { CloudError } from '../../cloud/contract';
import { SimcloudAdmin } from '../../cloud/simcloud-client';

export { createTestDatabase } from '../support/database';

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
    podLogIntervalMs: 50,
    buildStepMs: 10,
    topology: { regions: ['region-1', 'region-2'], hostsPerRegion: 2, hostCpu: 16, hostMemoryMb: 32_768, hostDiskMb: 100_000 },
    ...opts,
  });
  return { sim, client: new SimcloudAdmin(sim.url, { timeoutMs: 5000 }) };
}

/**
 * A simcloud for the whole test file, on its own database: the returned object is filled in
 * before the first test and torn down after the last.
 */
export function useTestCloud(opts: Partial<SimcloudOptions> = {}): TestCloud {
  const cloud = {} as TestCloud;
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('simcloud_test');
    Object.assign(cloud, await startTestCloud(db.url, opts));
  });
  afterAll(async () => {
    await cloud.sim?.close();
    await db?.drop();
  });
  return cloud;
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

/** The CloudError a call fails with, or null when it succeeds. */
export const failure = (p: Promise<unknown>): Promise<CloudError | null> => p.then(() => null, (e: CloudError) => e);
