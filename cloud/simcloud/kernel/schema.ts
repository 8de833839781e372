import { z } from 'zod';

/** Field shapes every resource's schemas share; failures read '<field>: <problem>'. */
export const clientToken = z.string().min(1).max(256);
export const objectId = z.string().min(1).max(128);
export const objectName = z.string().min(1).max(255);
export const regionName = z.string().min(1).max(64);
/** Host labels and placement requirements: KEY → value (upper-case keys by convention). */
export const labels = z.record(z.string().min(1).max(128), z.string().max(4096));

/** A parsed `?label=` filter: objects whose labels hold `key` (with exactly `value`, when one was given). */
export interface LabelSelector {
  key: string;
  value: string | null;
}

/**
 * `?label=KEY=VALUE` (that label with that value) or `?label=KEY` (that label, any value), keys
 * and values bounded as in `labels`. The value is everything after the first `=`, so it may hold
 * `=` itself.
 */
export const labelSelector = z
  .string()
  .max(128 + 1 + 4096)
  .transform((raw, ctx): LabelSelector => {
    const cut = raw.indexOf('=');
    const key = cut < 0 ? raw : raw.slice(0, cut);
    const value = cut < 0 ? null : raw.slice(cut + 1);
    if (!key.length || key.length > 128) ctx.addIssue({ code: 'custom', message: 'must be KEY=VALUE or KEY, with a key of 1 to 128 characters' });
    if (value !== null && value.length > 4096) ctx.addIssue({ code: 'custom', message: 'the value must be at most 4096 characters' });
    return { key, value };
  });

/** Whether an object's labels match a `?label=` filter (no filter: everything matches). */
export function matchesLabel(labels: Record<string, string> | undefined, selector: LabelSelector | undefined): boolean {
  if (!selector) return true;
  const value = labels && Object.hasOwn(labels, selector.key) ? labels[selector.key] : undefined;
  return value !== undefined && (selector.value === null || value === selector.value);
}

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
