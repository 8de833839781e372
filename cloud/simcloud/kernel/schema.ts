import { z } from 'zod';

/** Field shapes every resource's schemas share; failures read '<field>: <problem>'. */
export const clientToken = z.string().min(1).max(256);
export const objectId = z.string().min(1).max(128);
export const objectName = z.string().min(1).max(255);
export const regionName = z.string().min(1).max(64);
/** Host labels and placement requirements: KEY → value (upper-case keys by convention). */
export const labels = z.record(z.string().min(1).max(128), z.string().max(4096));

/** `?offset&limit&waitMs` of a build or pod log. */
export const logQuery = z.object({
  /** Index of the first line wanted (0-based). */
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Long-poll: wait up to this long for a line past `offset` while the source is still live. */
  waitMs: z.coerce.number().int().min(0).max(60_000).default(0),
});

export const logChunkSchema = z.object({
  /** Index of lines[0]. */
  offset: z.number().int(),
  /** Each line starts with an ISO timestamp. */
  lines: z.array(z.string()),
  /** The offset to ask for next. */
  nextOffset: z.number().int(),
  /** No line will ever follow: the build has ended, or the pod is gone. */
  done: z.boolean(),
});
