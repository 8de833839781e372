import type { Hook } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { HttpError, type ErrorRenderer } from '../errors';
import { describeZodError } from '../validation';

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

/** An OpenAPIHono hook: a zod failure in the seed's shape, 400 under `title` naming each field. */
export const rejectInvalidAs =
  (title: string): Hook<any, any, any, any> =>
  (result) => {
    if (!result.success) throw srError(400, title, describeZodError(result.error as ZodError));
  };
