import { z } from 'zod';
import { clientToken, labels, objectId, objectName, regionName } from '../kernel/schema';

/** VMs: the HTTP bodies simcloud validates and the objects it answers with. cloud/contract.ts derives its types from these. */
export const vmStates = ['building', 'stopped', 'starting', 'running', 'stopping', 'error', 'deleted'] as const;

const cpu = z.number().int().min(1).max(4096);
const memoryMb = z.number().int().min(1).max(64 * 1024 * 1024);
const diskMb = z.number().int().min(1).max(1024 * 1024 * 1024);
const rank = z.string().min(1);

export const vmSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  hostId: z.string(),
  state: z.enum(vmStates),
  cpu: z.number().int(),
  memoryMb: z.number().int(),
  diskMb: z.number().int(),
  /** Why the VM is in 'error' (crash, host down, failed transition). */
  error: z.string().nullable(),
  /** Key/values handed to the guest (SSH key, credentials, device info). */
  context: z.record(z.string(), z.string()),
  /** Hardware and console settings applied at boot. */
  settings: z.record(z.string(), z.string()),
  requirements: z.record(z.string(), z.string()),
  /** Addresses appear some time after the VM starts running (DHCP lease), and go when it stops. */
  addresses: z.object({ ipv4: z.string().nullable(), ipv6: z.string().nullable(), external: z.string().nullable() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const createVmBody = z.object({
  clientToken,
  name: objectName,
  region: regionName.optional(),
  cpu,
  memoryMb,
  diskMb,
  /** Place on this host, or fail with a capacity error when it has no room (or is down). */
  hostId: objectId.optional(),
  /** Host labels that must match (KEY → value); upper-case keys by convention. */
  requirements: labels.optional(),
  /** Host label to prefer: hosts with a lower value of that label rank first; default: most free memory. */
  rank: rank.optional(),
  context: labels.optional(),
  settings: labels.optional(),
});

export const startVmBody = z.object({ settings: labels.optional() });

/** Live resize within the host's free capacity (disks only grow); rename; merge context. */
export const updateVmBody = z
  .object({ cpu: cpu.optional(), memoryMb: memoryMb.optional(), diskMb: diskMb.optional(), name: objectName.optional(), context: labels.optional() })
  .strict();

export const migrateVmBody = z.object({
  /** Target host; when absent the backend picks the most suitable host matching requirements. */
  hostId: objectId.optional(),
  requirements: labels.optional(),
  rank: rank.optional(),
});

export const listVmsQuery = z.object({ hostId: objectId.optional(), state: z.enum(vmStates).optional(), region: regionName.optional() });
