import { z } from 'zod';
import { clientToken, labels, labelSelector, objectId, objectName } from '../kernel/schema';

/** Snapshots: the HTTP bodies simcloud validates and the objects it answers with. cloud/contract.ts derives its types from these. */
export const snapshotStates = ['creating', 'available', 'error', 'deleted'] as const;

export const snapshotSchema = z.object({
  id: z.string(),
  name: z.string(),
  vmId: z.string(),
  state: z.enum(snapshotStates),
  /** Copy of the VM's shape at the time of the snapshot. */
  vm: z.object({ cpu: z.number().int(), memoryMb: z.number().int(), diskMb: z.number().int(), volumes: z.array(z.string()) }),
  /** As created (`{}` when none were given). */
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
});

export const createSnapshotBody = z.object({
  clientToken,
  vmId: objectId,
  name: objectName,
  /** The snapshot's own KEY → value labels, as for volumes. `GET /snapshots?label=` filters by them. */
  labels: labels.optional(),
});
export const listSnapshotsQuery = z.object({
  vmId: objectId.optional(),
  /** `KEY=VALUE`, or `KEY` for any value: only snapshots with that label. */
  label: labelSelector.optional(),
});
