import type { Context } from 'hono';
import type { z } from 'zod';
import { describeZodError } from '../validation';
import { badRequest, clusterError } from './errors';

/** Request bodies, checked in the order a client fixes them: size, content type, syntax, fields. */

const MAX_JSON_BYTES = 64 * 1024;

/** The media type without parameters: "application/json; charset=utf-8" → "application/json". */
export const mediaTypeOf = (c: Context) => (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/** The body as text, at most `maxBytes`; 413 beyond. */
export async function readText(c: Context, maxBytes: number): Promise<string> {
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes) throw clusterError(413, 'payload too large', `the body has ${Buffer.byteLength(text)} bytes; at most ${maxBytes}`);
  return text;
}

/**
 * A JSON body validated by `schema`: 415 unless sent as application/json, 400 when malformed or
 * when a field is wrong (naming it). `whenEmpty` answers a request with no body at all.
 */
export async function readJson<T extends z.ZodType>(c: Context, schema: T, whenEmpty?: z.input<T>): Promise<z.output<T>> {
  const text = await readText(c, MAX_JSON_BYTES);
  const type = mediaTypeOf(c);
  if (whenEmpty !== undefined && text.trim() === '' && (type === '' || type === 'application/json')) return schema.parse(whenEmpty);
  if (type !== 'application/json') {
    throw clusterError(415, 'unsupported media type', `send the body as JSON with Content-Type: application/json (got ${type || 'no Content-Type'})`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw badRequest(`malformed JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}
