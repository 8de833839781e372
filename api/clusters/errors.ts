import type { Hook } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { HttpError, type ErrorRenderer } from '../errors';
import { describeZodError } from '../validation';

/**
 * BigData PaaS errors: `{"status": 404, "error": "not found", "message": "…"}` as upstream's
 * Flask handlers answered. The `error` phrase travels as the HttpError code, so errors raised by
 * shared code (401 from the auth middleware, 404 from project access) render the same way.
 */
export const clusterError = (status: ContentfulStatusCode, error: string, message: string, headers?: Record<string, string>) =>
  new HttpError(status, error, message, undefined, headers);

/** Shared codes that read differently here; any other code reads with its underscores as spaces. */
const PHRASES: Record<string, string> = { invalid_request: 'bad request', internal: 'internal server error' };
const phraseOf = (code: string) => PHRASES[code] ?? code.replace(/_/g, ' ');

export const renderClusterError: ErrorRenderer = (c, err) =>
  c.json({ status: err.status, error: phraseOf(err.code), message: err.message }, err.status, err.headers);

/** A zod failure of a path or query parameter: 400 naming it. */
export const rejectInvalidParams: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw clusterError(400, 'bad request', describeZodError(result.error as ZodError));
};

export const notFound = (message: string) => clusterError(404, 'not found', message);
export const badRequest = (message: string) => clusterError(400, 'bad request', message);
