/**
 * What a chaos run is judged on, read from the platform and the cloud themselves:
 *
 * - operations: every row of the operations table (each a workflow run), its end from Temporal,
 *   and the failure's reason; one still running after the settle deadline is stuck;
 * - ownership: every live simcloud object must be owned by a live row (the drivers say which rows
 *   own what); an object nobody owns is a leak, an object a row names that the cloud does not have
 *   is dangling;
 * - duplicates: per request (one Idempotency-Key) and per slot (one VM per instance…), from drivers;
 * - at the very end: no live rows, no workflow of the platform still running but its singletons,
 *   and simcloud's live counts (`/healthz`) back where they were before the load.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Health } from '../../cloud/simcloud-client';
import { regionEndpointOf } from '../../db/flavors';
import { loadConfig } from '../../lib/config';
import { readOwnerMark } from '../../lib/inventory';
import { surfaceOf } from '../../lib/operation-metrics';
import { failureOf } from '../../api/operations/await';
import type { Cluster } from '../scale/cluster';
import { FILLER_PREFIX } from './disruptions';
import type { ChaosDriver, CloudObject, CloudSnapshot, DriverContext } from './drivers/types';
import type { Surface } from './options';

export type OperationStatus = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'running' | 'unknown';

export interface OperationRecord {
  id: string;
  type: string;
  resource: string;
  surface: string;
  status: OperationStatus;
  /** `Type: message` of a failure (or cancellation). */
  reason: string | null;
}

const STATUS: Record<string, OperationStatus> = {
  COMPLETED: 'completed',
  CONTINUED_AS_NEW: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  RUNNING: 'running',
};

/** Reasons that say nothing about what went wrong. */
const EMPTY_REASONS = /^(|OperationFailed: (Activity task failed|Workflow execution failed|Unknown)?|Unknown: .*)$/;

export function hasReason(op: OperationRecord): boolean {
  return op.reason !== null && !EMPTY_REASONS.test(op.reason.trim());
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** Tries `fn` until it answers or the attempts run out (Temporal may be restarting under us). */
async function patiently<T>(fn: () => Promise<T>, attempts = 30): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(500);
    }
  }
}

/**
 * Every operation of the run with its status now. `known` carries the ended ones of an earlier
 * look (an ended run never changes), so a settle loop describes only what still runs.
 */
export async function readOperations(cluster: Cluster, known = new Map<string, OperationRecord>()): Promise<Map<string, OperationRecord>> {
  const rows = await cluster.db.selectFrom('operations').select(['id', 'workflow_id', 'run_id', 'workflow_type', 'resource_type', 'resource_id']).execute();
  const todo = rows.filter((r) => !known.has(r.id) || ['running', 'unknown'].includes(known.get(r.id)!.status));
  const seen = await inBatches(todo, 16, async (r): Promise<OperationRecord> => {
    const handle = cluster.temporal.workflow.getHandle(r.workflow_id, r.run_id);
    const base = { id: r.id, type: r.workflow_type, resource: r.resource_id, surface: surfaceOf(r.resource_type) };
    const description = await patiently(() => handle.describe(), 5).catch(() => null);
    const status = description ? (STATUS[description.status.name] ?? 'unknown') : 'unknown';
    let reason: string | null = null;
    if (status === 'failed' || status === 'cancelled' || status === 'terminated' || status === 'timed_out') {
      reason = await handle.result().then(
        () => null,
        (err) => {
          const f = err instanceof WorkflowFailedError ? failureOf(err) : { type: 'Unknown', message: String(err?.message ?? err) };
          return `${f.type}: ${f.message}`;
        },
      );
    }
    return { ...base, status, reason };
  });
  const out = new Map(known);
  for (const op of seen) out.set(op.id, op);
  return out;
}

/** Waits until no operation runs (or the deadline passes); returns the last look. */
export async function settleOperations(cluster: Cluster, deadline: number, onProgress?: (running: number) => void): Promise<Map<string, OperationRecord>> {
  let ops = new Map<string, OperationRecord>();
  for (;;) {
    ops = await readOperations(cluster, ops);
    const running = [...ops.values()].filter((o) => o.status === 'running' || o.status === 'unknown').length;
    onProgress?.(running);
    if (!running || Date.now() > deadline) return ops;
    await sleep(2_000);
  }
}

/** Every live object in simcloud (faults must be off), region catalogs included. */
export async function cloudSnapshot(cluster: Cluster): Promise<CloudSnapshot> {
  const cloud = cluster.cloud;
  const config = loadConfig(cluster.env);
  const regions = await cluster.db.selectFrom('flavor_infrastructures').selectAll().execute();
  const [vms, volumes, snapshots, deployments, pods, builds] = await patiently(() =>
    Promise.all([cloud.listVms(), cloud.listVolumes(), cloud.listSnapshots(), cloud.listDeployments(), cloud.listPods(), cloud.listBuilds()]),
  );
  const flavors: CloudSnapshot['flavors'] = [];
  for (const r of regions) {
    const list = await patiently(() => cloud.regionCatalog(regionEndpointOf(config, r)).listFlavors());
    flavors.push(...list.map((f) => ({ ...f, region: r.name })));
  }
  return { vms, volumes, snapshots, deployments, pods, builds: builds.filter((b) => b.state !== 'deleted'), flavors };
}

export function objectsOf(s: CloudSnapshot): CloudObject[] {
  return [
    ...s.vms.map((object) => ({ kind: 'vm' as const, object })),
    ...s.volumes.map((object) => ({ kind: 'volume' as const, object })),
    ...s.snapshots.map((object) => ({ kind: 'snapshot' as const, object })),
    ...s.deployments.map((object) => ({ kind: 'deployment' as const, object })),
    ...s.builds.map((object) => ({ kind: 'build' as const, object })),
    ...s.flavors.map((object) => ({ kind: 'flavor' as const, object })),
  ];
}

export const objectKey = (o: CloudObject) => `${o.kind}:${o.kind === 'flavor' ? `${o.object.region}/${o.object.id}` : o.object.id}`;

const describeObject = (o: CloudObject) =>
  o.kind === 'flavor' ? `flavor ${o.object.name} in ${o.object.region}` : `${o.kind} ${o.object.id} (${o.object.name}${'state' in o.object ? `, ${o.object.state}` : ''})`;

export interface Ownership {
  /** Live cloud objects no live row owns, by surface (`other` when no surface claims it). */
  leaked: Record<string, string[]>;
  /** Objects a live row names that the cloud does not have, by surface. */
  dangling: Record<string, string[]>;
  /** Pods whose deployment is gone. */
  strayPods: string[];
  /** Objects counted (live, not baseline, not fillers). */
  objects: number;
  /** Resources the leaked objects' marks name (`app/…`, `instance/3`): where the evidence is. */
  leakedOwners: string[];
}

/** Compares the cloud with what the rows say; `baseline` objects (there before the run) are left out. */
export async function checkOwnership(ctx: DriverContext, drivers: ChaosDriver[], snapshot: CloudSnapshot, baseline: Set<string>): Promise<Ownership> {
  const owners = new Map<string, { surface: Surface; owner: string }>();
  for (const d of drivers) for (const o of await d.owned(ctx)) owners.set(`${o.kind}:${o.id}`, { surface: d.surface, owner: o.owner });
  const objects = objectsOf(snapshot).filter((o) => !baseline.has(objectKey(o)) && !(o.kind === 'vm' && o.object.name.startsWith(FILLER_PREFIX)));
  const leaked: Record<string, string[]> = {};
  const leakedOwners = new Set<string>();
  for (const o of objects) {
    if (owners.has(objectKey(o))) continue;
    const driver = drivers.find((d) => d.claims(o, ctx));
    const surface = driver?.surface ?? 'other';
    const mark = o.kind === 'vm' ? readOwnerMark(ctx.cluster.workflowIdPrefix, o.object.context) : null;
    const owner = mark ? `${mark.resourceType}/${mark.resourceId}` : await driver?.ownerOf?.(o, ctx).catch(() => undefined);
    if (owner) leakedOwners.add(owner);
    (leaked[surface] ??= []).push(`${describeObject(o)}${owner ? `, marked for ${owner}` : ''}`);
  }
  const live = new Set(objectsOf(snapshot).map(objectKey));
  const dangling: Record<string, string[]> = {};
  for (const [key, { surface, owner }] of owners) if (!live.has(key)) (dangling[surface] ??= []).push(`${owner} names ${key.replace(':', ' ')}, which the cloud does not have`);
  const deployments = new Set(snapshot.deployments.map((d) => d.id));
  const strayPods = snapshot.pods.filter((p) => !deployments.has(p.deploymentId)).map((p) => `pod ${p.id} of deployment ${p.deploymentId}`);
  return { leaked, dangling, strayPods, objects: objects.length, leakedOwners: [...leakedOwners] };
}

/** Workflows of the run still running that are neither singletons nor schedule runs: monitors that outlived their resource. */
export async function runningWorkflows(temporal: Client, cluster: Cluster): Promise<Array<{ workflowId: string; type: string; surface: string }>> {
  const prefix = cluster.workflowIdPrefix;
  const singletons = ['platform/event-pump', 'inventory/hypervisors', 'flavors/reconcile', 'compute/supervise', 'sweep/'].map((s) => `${prefix}${s}`);
  const out: Array<{ workflowId: string; type: string; surface: string }> = [];
  await patiently(async () => {
    out.length = 0;
    for await (const wf of temporal.workflow.list({ query: `TaskQueue = "${cluster.taskQueue}" AND ExecutionStatus = "Running"` })) {
      if (singletons.some((s) => wf.workflowId.startsWith(s))) continue;
      const type = wf.searchAttributes?.ResourceType?.[0];
      out.push({ workflowId: wf.workflowId, type: wf.type, surface: surfaceOf(typeof type === 'string' ? type : '?') });
    }
  });
  return out;
}

export type Counts = Pick<Health, 'vms' | 'volumes' | 'snapshots' | 'deployments' | 'pods' | 'builds' | 'flavors' | 'usedCpu' | 'usedMemoryMb'>;

export function countsOf(h: Health): Counts {
  return {
    vms: h.vms,
    volumes: h.volumes,
    snapshots: h.snapshots,
    deployments: h.deployments,
    pods: h.pods,
    builds: h.builds,
    flavors: h.flavors,
    usedCpu: Math.round(h.usedCpu * 1000) / 1000,
    usedMemoryMb: h.usedMemoryMb,
  };
}

/** Differences between two health counts (`vms 12 → 13`), none when equal. */
export function countDiff(before: Counts, after: Counts): string[] {
  return (Object.keys(before) as Array<keyof Counts>).filter((k) => before[k] !== after[k]).map((k) => `${k} ${before[k]} → ${after[k]}`);
}

/** Waits (bounded) for simcloud's live counts to come back to `baseline`; the differences left. */
export async function backToBaseline(cluster: Cluster, baseline: Counts, timeoutMs: number): Promise<{ counts: Counts; diff: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = countsOf(await patiently(() => cluster.cloud.health()));
    const diff = countDiff(baseline, counts);
    if (!diff.length || Date.now() > deadline) return { counts, diff };
    await sleep(1_000);
  }
}
