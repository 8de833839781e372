import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { operationLink, OperationInProgressError } from '../lib/operations';

/**
 * A client-facing error. Handlers throw it; each API surface renders it in its seed's error
 * shape (see `ErrorRenderer`), so the same failure reads naturally in every API.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, 'bad_request', message, details);
export const unauthorized = (message = 'Authentication required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'Not allowed') => new HttpError(403, 'forbidden', message);
export const notFound = (message = 'Not found') => new HttpError(404, 'not_found', message);
export const conflict = (message: string, details?: unknown) => new HttpError(409, 'conflict', message, details);

/** "Another operation holds this resource", naming it; 409 unless the seed says otherwise (runtimes: 423). */
export function operationInProgress(err: OperationInProgressError, status: 409 | 423 = 409): HttpError {
  return new HttpError(status, 'operation_in_progress', err.message, err.operationId ? { operation: operationLink(err.operationId) } : undefined);
}

/** Renders an HttpError as one surface's JSON (or other) body. */
export type ErrorRenderer = (c: Context, err: HttpError) => Response | Promise<Response>;

/** Provisio's own surfaces (/v1/...): `{ error: { code, message, details? } }`. */
export const renderPlatformError: ErrorRenderer = (c, err) =>
  c.json({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } }, err.status, err.headers);

/** Converts anything thrown into an HttpError; unknown errors become a 500 that reveals nothing. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof OperationInProgressError) return operationInProgress(err);
  if (err instanceof HTTPException) {
    const codes: Record<number, string> = { 401: 'unauthorized', 413: 'too_large', 415: 'unsupported_media_type' };
    const fallback = err.status === 415 ? 'Unsupported Content-Type for this endpoint' : 'Bad request';
    return new HttpError(err.status as ContentfulStatusCode, codes[err.status] ?? 'bad_request', err.message || fallback);
  }
  if (err instanceof SyntaxError) return badRequest('Invalid JSON');
  const rejected = rejectedByDatabase(err);
  if (rejected) return rejected;
  return new HttpError(500, 'internal', 'Internal server error');
}

/**
 * Postgres data exceptions (SQLSTATE class 22) are values a client sent that the database cannot
 * hold: a NUL character in text, a number out of range, a malformed uuid or date, text too long.
 * They are the client's error (400), whichever surface or query met them; the statement failed, so
 * nothing was written by it. The message names the kind of value, never the SQL.
 */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22021': 'text must not contain NUL characters or invalid byte sequences',
  '22P05': 'text contains a character the database cannot store',
  '22003': 'a number is out of range',
  '22P02': 'a value has the wrong format',
  '22001': 'a value is too long',
  '22007': 'a date or time has the wrong format',
  '22008': 'a date or time is out of range',
  '22023': 'a value is not valid',
  '22025': 'a value has an invalid escape sequence',
  '2201X': 'a limit or offset is out of range',
  '2201W': 'a limit or offset is out of range',
};

export function rejectedByDatabase(err: unknown): HttpError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('22') || !(err instanceof Error) || !('severity' in err)) return undefined;
  return badRequest(`Invalid input: ${DATA_EXCEPTIONS[code] ?? 'a value is not valid'}`);
}
