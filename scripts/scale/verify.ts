/**
 * Exactly once, counted three ways after a load: the platform's operations rows, Temporal's
 * workflow runs (visibility, by the search attributes every operation sets), and the cloud
 * backend's objects. Every operation the clients performed must appear once in each, and ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { startMemoOf } from '../../lib/operations';
import type { Cluster } from './cluster';
import type { CloudCounter, LoadResult, OperationDriver } from './load';

export interface TypeCounts {
  /** Operations the clients performed (and saw end). */
  performed: number;
  /** Rows in the operations table. */
  rows: number;
  /** Workflow runs in Temporal. */
  runs: number;
  /** Runs that completed. */
  completed: number;
}

export interface Verification {
  byType: Record<string, TypeCounts>;
  /**
   * Runs of creates whose request died before recording them (an API killed between the workflow
   * start and the commit of its rows): they must have ended without a row, an operation or a cloud
   * object — the cloud counts below would show one.
   */
  abandoned: number;
  /** Cloud objects (VMs, by name) per driver: how many, and how many names were used more than once. */
  cloud: Record<string, { objects: number; duplicates: number; live: number }>;
  problems: string[];
}

export function cloudCounter(cluster: Cluster): CloudCounter & { liveVmNames(): Promise<string[]> } {
  return {
    async vmNames() {
      const [live, deleted] = await Promise.all([cluster.cloud.listVms(), cluster.cloud.listVms({ state: 'deleted' })]);
      return [...live, ...deleted].map((vm) => vm.name);
    },
    async liveVmNames() {
      return (await cluster.cloud.listVms()).map((vm) => vm.name);
    },
  };
}

interface Run {
  type: string;
  resource: string;
  status: string;
  runId: string;
  /** Started by a create whose first step waits for its rows (lib/operations.ts). */
  records: boolean;
}

async function listRuns(cluster: Cluster, types: string[]): Promise<Run[]> {
  const runs: Run[] = [];
  const query = `TaskQueue = "${cluster.taskQueue}" AND WorkflowType IN (${types.map((t) => `"${t}"`).join(', ')})`;
  for await (const wf of cluster.temporal.workflow.list({ query })) {
    const resource = wf.searchAttributes?.ResourceId?.[0];
    runs.push({ type: wf.type, resource: typeof resource === 'string' ? resource : '?', status: wf.status.name, runId: wf.runId, records: startMemoOf(wf)?.records === true });
  }
  return runs;
}

export async function verifyExactlyOnce(cluster: Cluster, load: LoadResult, drivers: OperationDriver[], runId: string): Promise<Verification> {
  const problems: string[] = load.failures.map((f) => `load: ${f}`);
  const types = [...new Set(load.performed.map((p) => p.type))];
  const byType: Record<string, TypeCounts> = {};
  for (const t of types) byType[t] = { performed: 0, rows: 0, runs: 0, completed: 0 };

  const seen = new Map<string, number>();
  for (const p of load.performed) {
    byType[p.type]!.performed++;
    if (p.status !== 'completed') problems.push(`${p.type} on ${p.resource} ended ${p.status}`);
    const k = `${p.resource} ${p.type}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }

  const rows = await cluster.db
    .selectFrom('operations')
    .select(['run_id', 'resource_id', 'workflow_type'])
    .where('workflow_type', 'in', types.length ? types : [''])
    .execute();
  const rowsPer = new Map<string, number>();
  for (const r of rows) {
    byType[r.workflow_type]!.rows++;
    const k = `${r.resource_id} ${r.workflow_type}`;
    rowsPer.set(k, (rowsPer.get(k) ?? 0) + 1);
  }

  // Visibility is eventually consistent: take the runs once their count stops moving.
  let all: Run[] = [];
  for (let look = 0; look < 40; look++) {
    const next = await listRuns(cluster, types);
    const stable = next.length === all.length && next.every((r) => r.status !== 'Running' && r.status !== 'RUNNING');
    all = next;
    if (stable && look > 0) break;
    await sleep(500);
  }
  const rowRuns = new Set(rows.map((r) => r.run_id));
  // A create's run without an operations row: its request died before recording it. It must have
  // ended (given up or terminated), never completed.
  const abandoned = all.filter((r) => r.records && !rowRuns.has(r.runId));
  for (const r of abandoned) {
    if (!/^(FAILED|TERMINATED)$/i.test(r.status)) problems.push(`abandoned run ${r.runId} (${r.type} on ${r.resource}) is ${r.status}`);
  }
  const runs = all.filter((r) => !abandoned.includes(r));
  const runsPer = new Map<string, number>();
  for (const r of runs) {
    byType[r.type]!.runs++;
    if (r.status === 'COMPLETED' || r.status === 'Completed') byType[r.type]!.completed++;
    else problems.push(`run ${r.runId} (${r.type} on ${r.resource}) is ${r.status}`);
    const k = `${r.resource} ${r.type}`;
    runsPer.set(k, (runsPer.get(k) ?? 0) + 1);
  }

  for (const [k, n] of seen) {
    if (n !== 1) problems.push(`${k}: performed ${n} times by the clients`);
    if ((rowsPer.get(k) ?? 0) !== 1) problems.push(`${k}: ${rowsPer.get(k) ?? 0} operations rows`);
    if ((runsPer.get(k) ?? 0) !== 1) problems.push(`${k}: ${runsPer.get(k) ?? 0} workflow runs`);
  }
  for (const k of new Set([...rowsPer.keys(), ...runsPer.keys()])) {
    if (!seen.has(k)) problems.push(`${k}: an operation no client performed (${rowsPer.get(k) ?? 0} rows, ${runsPer.get(k) ?? 0} runs)`);
  }
  for (const r of runs) if (!rowRuns.has(r.runId)) problems.push(`run ${r.runId} (${r.type} on ${r.resource}) has no operations row`);

  // Resources left half-made: anything not deleted, or stuck in a transitional state.
  const leftovers = await sql<{ n: string }>`
    select (select count(*) from instances where deleted_at is null) + (select count(*) from runtimes where deleted_at is null) as n`.execute(cluster.db);
  if (Number(leftovers.rows[0]?.n ?? 0) > 0) problems.push(`${leftovers.rows[0]!.n} instances or runtimes were not deleted`);

  const counter = cloudCounter(cluster);
  const live = await counter.liveVmNames();
  const cloud: Verification['cloud'] = {};
  for (const driver of drivers) {
    const counts = await driver.cloudObjects(counter, runId);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    const mine = new Set(counts.keys());
    cloud[driver.name] = { objects: [...counts.values()].reduce((a, b) => a + b, 0), duplicates, live: live.filter((n) => mine.has(n)).length };
    const lifecycles = load.performed.filter((p) => p.driver === driver.name).length / driver.operationsPerLifecycle;
    if (duplicates) problems.push(`${driver.name}: ${duplicates} resources got more than one VM`);
    if (counts.size !== lifecycles) problems.push(`${driver.name}: ${counts.size} VMs for ${lifecycles} resources`);
    if (cloud[driver.name]!.live) problems.push(`${driver.name}: ${cloud[driver.name]!.live} VMs still live after delete`);
  }
  // Every start settled (the surviving API settles a dead one's within seconds; one it cannot place yet, within 15 s).
  let unsettled = await cluster.db.selectFrom('operation_starts').select('token').execute();
  for (let look = 0; unsettled.length && look < 60; look++) {
    await sleep(500);
    unsettled = await cluster.db.selectFrom('operation_starts').select('token').execute();
  }
  if (unsettled.length) problems.push(`${unsettled.length} operation starts never settled`);
  return { byType, abandoned: abandoned.length, cloud, problems };
}
