import type { Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z, type ZodError } from 'zod';
import { HttpError, type ErrorRenderer } from '../errors';
import { describeZodError, validationError } from '../validation';

/**
 * NUBOMEDIA PaaS errors: `{"code": <status>, "error": <reason phrase>, "message": <text>}`, the
 * `code` and `message` of upstream's answers, with the `operation` link when one is involved.
 */
const PHRASES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
};

export const paasError = (status: ContentfulStatusCode, message: string, details?: unknown) => new HttpError(status, 'paas_error', message, details);

export const appNotFound = (id: string) => paasError(404, `Application with ID ${id} not found`);

export const renderPaasError: ErrorRenderer = (c, err) => {
  const details = err.details;
  const extra = details && typeof details === 'object' && !Array.isArray(details) ? details : details !== undefined ? { details } : {};
  return c.json({ code: err.status, error: PHRASES[err.status] ?? 'Error', message: err.message, ...extra }, err.status, err.headers);
};

/** OpenAPIHono defaultHook: a zod failure is a 400 naming each field. */
export const rejectInvalidPaas: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw validationError(result.error as ZodError);
};

/**
 * A JSON body checked by `schema`, parsed here rather than by the router so the answers come in
 * the seed's order: malformed JSON 400, then a 400 naming each bad field.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (err) {
    throw paasError(400, `Invalid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw paasError(400, describeZodError(parsed.error), { fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), problem: i.message })) });
  }
  return parsed.data;
}

/** A JSON request body documented in /openapi.json but not validated by the router: readJsonBody does, in order. */
export const jsonDocumented = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as any } },
});
