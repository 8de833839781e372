import type { Hook } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import { HttpError } from './errors';

/** "profile: Required; size: Expected string" — every problem names its field. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.') || '(body)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

export function validationError(error: ZodError, status: 400 | 422 = 400): HttpError {
  return new HttpError(
    status,
    'invalid_request',
    describeZodError(error),
    error.issues.map((i) => ({ field: i.path.join('.'), problem: i.message })),
  );
}

/** OpenAPIHono defaultHook: a failed zod validation becomes a 400 naming the field, rendered by the surface. */
export const rejectInvalid: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw validationError(result.error as ZodError);
};

/** C0 control characters and DEL: never part of an identifier, a path or a query value. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The most a request body may carry; Kahu disk image uploads (64 MiB) are the largest. */
export const MAX_BODY_BYTES = 65 * 1024 * 1024;
/** Bodies that are not multipart uploads are documents and forms, far smaller. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

/**
 * Hostile input, refused before any surface sees it (R4), with the status the surface's own
 * renderer gives it: control characters (NUL, %01, %7F…) in the path or the query, bodies over
 * the limit (413), and NUL characters inside JSON or form text, which no column can hold. Every
 * surface mounted in api/app.ts is covered, present and future, without a line of its own.
 */
export const hostileInputGuard: MiddlewareHandler = async (c, next) => {
  const url = new URL(c.req.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(400, 'invalid_request', 'path: malformed percent-encoding');
  }
  if (CONTROL.test(path)) throw new HttpError(400, 'invalid_request', 'path: control characters are not allowed');
  for (const [key, value] of url.searchParams) {
    if (CONTROL.test(key) || CONTROL.test(value)) throw new HttpError(400, 'invalid_request', `query: control characters are not allowed in ${CONTROL.test(key) ? 'a parameter name' : key}`);
  }
  const type = c.req.header('content-type') ?? '';
  const multipart = /^multipart\/form-data/i.test(type);
  const limit = multipart ? MAX_BODY_BYTES : MAX_DOCUMENT_BYTES;
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > limit) throw new HttpError(413, 'too_large', `body: larger than ${limit} bytes`);
  if (!c.req.raw.body || multipart) return next();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > limit) throw new HttpError(413, 'too_large', `body: larger than ${limit} bytes`);
  if (/^application\/x-www-form-urlencoded/i.test(type)) {
    const text = new TextDecoder().decode(bytes);
    if (/%00/.test(text) || text.includes('\u0000')) throw new HttpError(400, 'invalid_request', 'body: NUL characters are not allowed');
  } else if (/json/i.test(type) || bytes.includes(0)) {
    const text = new TextDecoder().decode(bytes);
    if (text.includes('\u0000')) throw new HttpError(400, 'invalid_request', 'body: NUL characters are not allowed');
    if (/\\u0000/i.test(text)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined; // malformed JSON: the surface answers it in its own words
      }
      if (hasNul(parsed)) throw new HttpError(400, 'invalid_request', 'body: NUL characters are not allowed');
    }
  }
  return next();
};
