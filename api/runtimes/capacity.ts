import type { RoleTemplate } from '../../db/runtimes';
import type { FunctionSpecInput } from './schemas';

/** Capacity of a function when neither the request nor its service template names it. */
export const DEFAULT_CAPACITY = { CPU: 2, MEMORY: 1024, DISK_SIZE: 1024 } as const;

/** How far CPU and MEMORY may later be resized: this factor times the capacity created with. */
export const MAX_FACTOR = 2;

/** A new function's capacity: the request's, else its template's, else the defaults; maxima from it. */
export function initialCapacity(fn: FunctionSpecInput, template: RoleTemplate) {
  const cpu = fn.CPU ?? template.CPU ?? DEFAULT_CAPACITY.CPU;
  const memory = fn.MEMORY ?? template.MEMORY ?? DEFAULT_CAPACITY.MEMORY;
  const disk = fn.DISK_SIZE ?? template.DISK_SIZE ?? DEFAULT_CAPACITY.DISK_SIZE;
  return { cpu, memory, disk_size: disk, cpu_max: cpu * MAX_FACTOR, memory_max: memory * MAX_FACTOR };
}
