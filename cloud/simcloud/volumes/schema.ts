import { z } from 'zod';
import { clientToken, labels, labelSelector, objectId, objectName } from '../kernel/schema';

/** Volumes: the HTTP bodies simcloud validates and the objects it answers with. cloud/contract.ts derives its types from these. */
export const volumeStates = ['creating', 'available', 'attached', 'error', 'deleted'] as const;
export const volumeFormats = ['qcow2', 'raw'] as const;

export const volumeSchema = z.object({
  id: z.string(),
  name: z.string(),
  vmId: z.string().nullable(),
  sizeMb: z.number().int(),
  format: z.enum(volumeFormats),
  state: z.enum(volumeStates),
  /** As created (`{}` when none were given). */
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
});

export const createVolumeBody = z.object({
  clientToken,
  name: objectName,
  /** Size in MB; or the size of `contentBase64` for an uploaded image. */
  sizeMb: z.number().int().min(1).max(1024 * 1024 * 1024).optional(),
  format: z.enum(volumeFormats).optional(),
  /** Attach to this VM once created. */
  vmId: objectId.optional(),
  /** Uploaded image content (small images only; simcloud keeps just its size and checksum). */
  contentBase64: z.string().max(64 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
  /**
   * The volume's own KEY → value labels (bounded like a VM's context), kept and answered as
   * given: who owns it, e.g. the platform's `PROVISIO_OWNER` mark. `GET /volumes?label=` filters by them.
   */
  labels: labels.optional(),
});

export const attachVolumeBody = z.object({ vmId: objectId });
export const listVolumesQuery = z.object({
  vmId: objectId.optional(),
  /** `KEY=VALUE`, or `KEY` for any value: only volumes with that label. */
  label: labelSelector.optional(),
});
