import { z } from 'zod';

/** Request bodies and queries of the HTTP API; app.ts answers 400 '<field>: <problem>' on failure. */
const labels = z.record(z.string().min(1).max(128), z.string().max(4096));
const token = z.string().min(1).max(256);
const name = z.string().min(1).max(255);
const cpu = z.number().int().min(1).max(4096);
const memoryMb = z.number().int().min(1).max(64 * 1024 * 1024);
const diskMb = z.number().int().min(1).max(1024 * 1024 * 1024);
const id = z.string().min(1).max(128);

export const vmStates = ['building', 'stopped', 'starting', 'running', 'stopping', 'error', 'deleted'] as const;

export const createVmBody = z.object({
  clientToken: token,
  name,
  region: z.string().min(1).optional(),
  cpu,
  memoryMb,
  diskMb,
  hostId: id.optional(),
  requirements: labels.optional(),
  rank: z.string().min(1).optional(),
  context: labels.optional(),
  settings: labels.optional(),
});

export const startVmBody = z.object({ settings: labels.optional() });

export const updateVmBody = z
  .object({ cpu: cpu.optional(), memoryMb: memoryMb.optional(), diskMb: diskMb.optional(), name: name.optional(), context: labels.optional() })
  .strict();

export const migrateVmBody = z.object({ hostId: id.optional(), requirements: labels.optional(), rank: z.string().min(1).optional() });

export const listVmsQuery = z.object({ hostId: id.optional(), state: z.enum(vmStates).optional(), region: z.string().min(1).optional() });

export const createVolumeBody = z.object({
  clientToken: token,
  name,
  sizeMb: diskMb.optional(),
  format: z.enum(['qcow2', 'raw']).optional(),
  vmId: id.optional(),
  contentBase64: z.string().max(64 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
});

export const attachVolumeBody = z.object({ vmId: id });

export const createSnapshotBody = z.object({ clientToken: token, vmId: id, name });

export const addHostsBody = z.object({
  region: z.string().min(1).max(64),
  count: z.number().int().min(1).max(10_000).default(1),
  /** Name of the single host added; with count > 1 names are generated. */
  name: name.optional(),
  cpu: cpu.optional(),
  memoryMb: memoryMb.optional(),
  diskMb: diskMb.optional(),
  labels: labels.optional(),
});

export const seedBody = z.object({ seed: z.number().int().min(0).max(2 ** 32 - 1) });
