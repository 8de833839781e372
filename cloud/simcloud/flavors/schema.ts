import { z } from 'zod';

/**
 * Each region's compute service keeps its own flavor catalog (Nova-style), behind HTTP Basic
 * credentials. cloud/contract.ts derives its types from these schemas.
 */
export const createRegionFlavorBody = z.object({
  /** Caller-chosen id (as Nova allows): creating an id that exists with the same name returns it. */
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
    .optional(),
  name: z.string().min(1).max(255),
  vcpus: z.number().int().min(1).max(4096),
  /** MB */
  ram: z.number().int().min(1).max(64 * 1024 * 1024),
  /** GB */
  disk: z.number().int().min(0).max(1024 * 1024),
  /** MB */
  swap: z.number().int().min(0).max(64 * 1024 * 1024).default(0),
  public: z.boolean().default(false),
});

export const regionFlavorSchema = z.object({
  id: z.string(),
  name: z.string(),
  vcpus: z.number().int(),
  ram: z.number().int(),
  disk: z.number().int(),
  swap: z.number().int(),
  public: z.boolean(),
  region: z.string(),
  createdAt: z.string(),
});
