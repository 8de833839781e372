import { placementOf, type RuntimeRole } from '../../db/runtimes';
import type { RuntimeUpdatePlan } from '../../workflows/runtimes';
import { srError } from './errors';
import type { RuntimeSpecInput } from './schemas';

/** What the plan reads of a runtime: its name and placement, and each function's capacity and limits. */
export type PlannedRuntime = { id: number; name: string; scheduling: object; device_info: object };
export type PlannedFunction = { role: RuntimeRole; cpu: number; memory: number; disk_size: number; cpu_max: number; memory_max: number };

/**
 * The steps a PUT implies: only changed keys of functions present in both spec and runtime; a
 * changed SCHEDULING or DEVICE_INFO replaces both and reschedules. Resizes beyond the limits → 400.
 */
export function diff(row: PlannedRuntime, functions: PlannedFunction[], spec: RuntimeSpecInput): RuntimeUpdatePlan {
  const plan: RuntimeUpdatePlan = { functions: [] };
  const problems: string[] = [];
  if (spec.NAME !== undefined && spec.NAME !== row.name) plan.name = spec.NAME;
  for (const fn of functions) {
    const wanted = fn.role === 'FAAS' ? spec.FAAS : spec.DAAS?.FLAVOUR ? spec.DAAS : undefined;
    if (!wanted) continue;
    const change: RuntimeUpdatePlan['functions'][number] = { role: fn.role };
    if (wanted.CPU !== undefined && wanted.CPU !== fn.cpu) {
      if (wanted.CPU > fn.cpu_max) problems.push(`${fn.role}.CPU: ${wanted.CPU} is beyond the maximum ${fn.cpu_max}`);
      else change.cpu = wanted.CPU;
    }
    if (wanted.MEMORY !== undefined && wanted.MEMORY !== fn.memory) {
      if (wanted.MEMORY > fn.memory_max) problems.push(`${fn.role}.MEMORY: ${wanted.MEMORY} is beyond the maximum ${fn.memory_max}`);
      else change.memory = wanted.MEMORY;
    }
    if (wanted.DISK_SIZE !== undefined && wanted.DISK_SIZE !== fn.disk_size) {
      if (wanted.DISK_SIZE < fn.disk_size) problems.push(`${fn.role}.DISK_SIZE: disks can only grow (now ${fn.disk_size})`);
      else change.diskSize = wanted.DISK_SIZE;
    }
    if (Object.keys(change).length > 1) plan.functions.push(change);
  }
  if (problems.length) throw srError(400, 'Invalid Serverless Runtime update', problems.join('; '));
  const scheduling = spec.SCHEDULING ?? row.scheduling;
  const deviceInfo = spec.DEVICE_INFO ?? row.device_info;
  if (!sameJson(scheduling, row.scheduling) || !sameJson(deviceInfo, row.device_info)) {
    placementOf(scheduling as RuntimeSpecInput['SCHEDULING'] & object); // validated by the schema already
    plan.placement = { scheduling: scheduling as Record<string, unknown>, deviceInfo: deviceInfo as Record<string, unknown> };
  }
  return plan;
}

/** True when the plan changes nothing. */
export const isEmpty = (plan: RuntimeUpdatePlan) => plan.name === undefined && plan.functions.length === 0 && !plan.placement;

/** "rename; FAAS CPU 2, MEMORY 512; reschedule": the plan in an operation's summary. */
export function describePlan(plan: RuntimeUpdatePlan): string {
  const parts: string[] = [];
  if (plan.name !== undefined) parts.push('rename');
  for (const f of plan.functions) {
    const what = [f.cpu !== undefined && `CPU ${f.cpu}`, f.memory !== undefined && `MEMORY ${f.memory}`, f.diskSize !== undefined && `DISK ${f.diskSize}`]
      .filter(Boolean)
      .join(', ');
    parts.push(`${f.role} ${what}`);
  }
  if (plan.placement) parts.push('reschedule');
  return parts.join('; ');
}

/** Key-order-insensitive JSON equality. */
export function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([k, x]) => [k, norm(x)]),
        )
      : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
