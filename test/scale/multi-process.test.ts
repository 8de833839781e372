import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/scale/cluster';
import { DRIVERS } from '../../scripts/scale/drivers';
import { killApiMidRequest } from '../../scripts/scale/kills';
import { loadContext, runLoad } from '../../scripts/scale/load';
import { verifyExactlyOnce } from '../../scripts/scale/verify';

/**
 * Horizontal scale, as production runs it: 2 API processes and 3 worker processes (the real entry
 * points, api/server.ts and worker/main.ts) on the run's one Temporal server and one Postgres, with
 * one simcloud process. `npm run bench:scale` runs the same with more load and prints throughput.
 */
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
    temporalNamespace: inject('temporalNamespace'),
    workflowBundlePath: inject('workflowBundlePath'),
    apis: 2,
    workers: 3,
  });
}, 150_000);

afterAll(async () => {
  await cluster?.stop();
});

it('a mixed load over 2 APIs and 3 workers runs every operation exactly once, while one worker and one API are killed', async () => {
  const runId = `scale-${randomBytes(3).toString('hex')}`;
  const ctx = await loadContext(cluster.apis, cluster.admin, runId);
  const [victimWorker, victimApi] = [cluster.workers[0]!, cluster.apis[0]!];
  let cut = 0;
  let kill = '';

  const result = await runLoad(ctx, {
    drivers: DRIVERS,
    lifecycles: 4,
    concurrency: 6,
    // Halfway through, with operations in flight on both: a worker crash, then an API crash at a
    // random moment of the requests in flight (any moment must be safe).
    midway: async () => {
      await victimWorker.kill();
      await sleep(200);
      const killed = await killApiMidRequest(cluster, ctx.pool, victimApi);
      cut = killed.inFlight;
      kill = `${killed.inFlight} requests in flight, ${killed.delayMs} ms after one was`;
    },
  });
  const verification = await verifyExactlyOnce(cluster, result, DRIVERS, runId);
  console.log(`API killed with ${kill}; clients: ${JSON.stringify(ctx.pool.stats)}; abandoned create runs: ${verification.abandoned}`);

  expect(victimWorker.alive()).toBe(false);
  expect(victimApi.alive()).toBe(false);
  expect(verification.problems).toEqual([]);
  // Both surfaces ran, every operation once in the table, in Temporal and in the cloud.
  for (const [type, counts] of Object.entries(verification.byType)) {
    expect(counts, type).toEqual({ performed: 4, rows: 4, runs: 4, completed: 4 });
  }
  expect(Object.keys(verification.byType).sort()).toEqual(
    ['createInstance', 'createRuntime', 'deleteInstance', 'deleteRuntime', 'startInstance', 'stopInstance'],
  );
  expect(verification.cloud).toEqual({ compute: { objects: 4, duplicates: 0, live: 0 }, runtimes: { objects: 4, duplicates: 0, live: 0 } });
  // The API kill cut requests in flight; the clients carried on through the other API.
  expect(cut).toBeGreaterThan(0);
  expect(ctx.pool.stats.failovers).toBeGreaterThanOrEqual(cut);
}, 150_000);
