import { z } from 'zod';
import { labels, objectName, regionName } from '../kernel/schema';

/** Regions and hosts: the HTTP bodies simcloud validates and the objects it answers with. */
export const regionSchema = z.object({ name: z.string() });

export const hostStates = ['up', 'down'] as const;

export const hostSchema = z.object({
  id: z.string(),
  /** Stable small integer, for APIs that number hypervisors (Kahu's /v0/hypervisor/instance/{n}). */
  index: z.number().int(),
  name: z.string(),
  region: z.string(),
  state: z.enum(hostStates),
  /** Capacity: cores, MB of memory, MB of disk. */
  cpu: z.number().int(),
  memoryMb: z.number().int(),
  diskMb: z.number().int(),
  /** In use by VMs and pods; CPU may be fractional (pods ask for millicores). */
  usedCpu: z.number(),
  usedMemoryMb: z.number().int(),
  usedDiskMb: z.number().int(),
  /** Free-form labels used by placement requirements (e.g. { GEO: 'EU', LATENCY: '5' }). */
  labels: z.record(z.string(), z.string()),
});

export const hostCpu = z.number().int().min(1).max(4096);
export const hostMemoryMb = z.number().int().min(1).max(64 * 1024 * 1024);
export const hostDiskMb = z.number().int().min(1).max(1024 * 1024 * 1024);

export const addHostsBody = z.object({
  /** A new region name creates the region. */
  region: regionName,
  count: z.number().int().min(1).max(10_000).default(1),
  /** Name of the single host added; with count > 1 names are generated. */
  name: objectName.optional(),
  cpu: hostCpu.optional(),
  memoryMb: hostMemoryMb.optional(),
  diskMb: hostDiskMb.optional(),
  labels: labels.optional(),
});

export const listHostsQuery = z.object({ region: regionName.optional() });
