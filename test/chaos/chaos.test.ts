import { expect, inject, it } from 'vitest';
import { DEFAULTS } from '../../scripts/chaos/options';
import { formatResult } from '../../scripts/chaos/report';
import { runChaos } from '../../scripts/chaos/run';

/**
 * `npm run chaos`, small: the same harness (scripts/chaos/) with its own platform of processes — a
 * Temporal dev server on a SQLite file (it is restarted, so not the run's shared one), an API,
 * two workers and simcloud — on the run's Postgres and workflow bundle. A short load over all five
 * surfaces while a worker is SIGKILLed twice (R1), Temporal restarts once (R2) and simcloud's faults
 * go 5 % → 20 % → 50 % with lost responses and filled hosts (R3). Every operation must end (failures
 * with a reason), nothing may be duplicated or leaked, and the cloud must be back to its starting
 * counts once the harness has deleted everything through the API.
 */
it('a small chaos run over every surface: every operation ends, none stuck, duplicated or leaked', async () => {
  const result = await runChaos({
    ...DEFAULTS,
    durationS: Number(process.env.CHAOS_TEST_DURATION ?? 30),
    concurrency: 5,
    workerKills: 2,
    settleS: 180,
    cleanupS: 180,
    operationTimeoutS: 150,
    databaseUrl: inject('databaseUrl'),
    workflowBundlePath: inject('workflowBundlePath'),
    log: () => {},
  });
  const summary = formatResult(result).join('\n');
  console.log(summary);

  expect(result.problems, summary).toEqual([]);
  // Every surface ran operations, and every operation ended (completed, or failed with a reason, or cancelled).
  for (const s of result.surfaces.filter((x) => x.surface !== 'other')) {
    expect(s.started, `${s.surface} started no operation\n${summary}`).toBeGreaterThan(0);
    expect(s.stuck).toBe(0);
    expect(s.failedWithoutReason).toBe(0);
  }
  expect(result.surfaces.map((s) => s.surface).sort()).toEqual(['apps', 'clusters', 'compute', 'flavors', 'runtimes']);
  // The disruptions happened: two worker kills, one Temporal restart, three fault phases and the fill.
  const timeline = result.events.map((e) => e.what).join('\n');
  expect(timeline.match(/^R1: .* SIGKILLed/gm) ?? [], timeline).toHaveLength(2);
  expect(timeline, timeline).toMatch(/^R2: Temporal dev server stopped .* started again/m);
  expect(timeline.match(/^simcloud faults at \d+ %/gm) ?? [], timeline).toHaveLength(3);
  expect(timeline, timeline).toMatch(/^R3: every host filled \([1-9]\d* filler VMs\)/m);
  expect(result.cloud.diff).toEqual([]);
}, 600_000);
