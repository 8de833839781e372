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
  return new HttpError(500, 'internal', 'Internal server error');
}
