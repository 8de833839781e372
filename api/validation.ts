import type { Hook } from '@hono/zod-openapi';
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
