import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError, type ErrorRenderer } from '../errors';

/**
 * A Provision Engine error: `{"error": <title>, "message": <detail>}`. The title travels as the
 * HttpError message and the detail as its details, so generic errors (401s from the shared auth
 * middleware) render as `{"error": "Authentication required", "message": ""}` like upstream.
 */
export function srError(status: ContentfulStatusCode, error: string, message: unknown = ''): HttpError {
  return new HttpError(status, 'runtime_error', error, message);
}

export const runtimeNotFound = (id: string | number) => srError(404, 'Serverless Runtime not found', `No Serverless Runtime with ID ${id}`);

export const renderRuntimeError: ErrorRenderer = (c, err) =>
  c.json({ error: err.message, message: err.details ?? '' }, err.status, err.headers);
