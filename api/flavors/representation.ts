import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { HttpError } from '../errors';
import { describeZodError } from '../validation';
import type { FlavorSyncDocument } from './schemas';
import { fromXml, toXml } from './xml';

/**
 * JSON or XML, both ways, as the blueprint has it: request bodies by Content-Type (anything else
 * is a 415), answers by Accept (without a usable one, in the request's own format, else JSON).
 */
export type Format = 'json' | 'xml';

const MEDIA_TYPES: Record<Format, string> = { json: 'application/json', xml: 'application/xml' };

function formatOf(mediaType: string | undefined): Format | null {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (/^application\/([\w.-]+\+)?json$/.test(type)) return 'json';
  if (/^(application|text)\/([\w.-]+\+)?xml$/.test(type)) return 'xml';
  return null;
}

/** How much the Accept header wants `format` (RFC 9110: the most specific matching range decides). */
function quality(ranges: Array<{ type: string; q: number }>, format: Format): number {
  const matches = (type: string) => formatOf(type) === format;
  const exact = ranges.find((r) => matches(r.type));
  if (exact) return exact.q;
  return (ranges.find((r) => r.type === 'application/*') ?? ranges.find((r) => r.type === '*/*'))?.q ?? 0;
}

export function responseFormat(c: Context): Format {
  const fallback = formatOf(c.req.header('content-type')) ?? 'json';
  const accept = c.req.header('accept');
  if (!accept) return fallback;
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    return { type, q: Number.isFinite(q) ? q : 0 };
  });
  const json = quality(ranges, 'json');
  const xml = quality(ranges, 'xml');
  if (json === xml) return fallback;
  return xml > json ? 'xml' : 'json';
}

/** Answers with a blueprint document in the format the client asked for. */
export function send(c: Context, status: ContentfulStatusCode, doc: FlavorSyncDocument, headers: Record<string, string> = {}): Response {
  const format = responseFormat(c);
  const body = format === 'xml' ? toXml(doc) : JSON.stringify(doc);
  return c.body(body, status, { ...headers, 'content-type': `${MEDIA_TYPES[format]}; charset=UTF-8`, vary: 'Accept' });
}

/** The request body (JSON or XML) checked against `schema`; 415 for another type, 400 naming the field otherwise. */
export async function readDocument<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const contentType = c.req.header('content-type');
  const format = formatOf(contentType);
  if (!format) {
    const given = contentType ? `'${contentType}'` : 'missing';
    throw new HttpError(415, 'unsupported_media_type', `Unrecognized content type (${given}): must be 'application/json' or 'application/xml'`);
  }
  const text = await c.req.text();
  let raw: unknown;
  if (format === 'xml') {
    raw = fromXml(text);
  } else {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, 'invalid_request', `Malformed JSON: ${(err as Error).message}`);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', describeZodError(parsed.error));
  return parsed.data;
}
