import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../deps';
import { ErrorDocument } from './schemas';
import { NOT_ALLOWED_TEXT, UNAUTHORIZED_TEXT } from './errors';

/** OpenAPI pieces shared by the flavor-sync route modules: every body and answer in JSON and XML. */

export const tags = ['flavors (FIWARE flavor-sync)'];

/** A route behind X-Auth-Token, documented as such. */
export const secured = (auth: MiddlewareHandler<AppEnv>) => ({ tags, security: [{ flavorToken: [] }], middleware: [auth] });

/** An answer whose document comes as JSON or XML (by Accept). */
export const doc = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'application/xml': { schema } },
});

export const errorDoc = (description: string) => doc(ErrorDocument, description);

/**
 * A request body in JSON or XML. Documented here, checked by the handler (representation.ts reads
 * both formats into one shape first), so the router's JSON-only validator is not attached.
 */
export const bodyDoc = (schema: z.ZodType) => {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { required: true, content: { 'application/json': { schema: jsonSchema }, 'application/xml': { schema: jsonSchema } } };
};

const text = (description: string, example: string) => ({ description, content: { 'text/plain': { schema: z.string().openapi({ example }) } } });

/** The answers every route can give: no or a bad token, and for writes, no InfrastructureManager role. */
export const unauthorizedDoc = text('Missing or invalid X-Auth-Token', UNAUTHORIZED_TEXT);
export const notAllowedDoc = text('The caller is not an InfrastructureManager (a Provisio admin, or manager of the token’s project)', NOT_ALLOWED_TEXT);
export const writeErrors = {
  400: errorDoc('Invalid body; the message names the field'),
  401: unauthorizedDoc,
  405: notAllowedDoc,
  415: errorDoc('The body is neither application/json nor application/xml'),
};
