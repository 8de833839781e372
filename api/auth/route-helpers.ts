import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../deps';
import { rejectInvalid } from '../validation';
import { ErrorSchema } from './schemas';

/** Shared pieces of the identity route modules. */

export const newIdentityApp = () => new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalid });

/** Either credential style /v1 accepts, as OpenAPI security requirements. */
export const PLATFORM_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { basicAuth: [] }];

export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token from POST /v1/auth/tokens (pvo_...)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' });
}

const ERROR_DESCRIPTIONS = {
  400: 'Invalid input; the message names the field',
  401: 'Missing or invalid credentials',
  403: 'Authenticated, but the role is too low',
  404: 'Not found, or not visible to the caller',
  409: 'Conflicts with existing state (duplicate, last admin...)',
} as const;

/** OpenAPI entries for the error statuses a route can answer. */
export function errorResponses<S extends keyof typeof ERROR_DESCRIPTIONS>(...statuses: S[]) {
  const entries = statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s], content: { 'application/json': { schema: ErrorSchema } } }]);
  return Object.fromEntries(entries) as { [K in S]: { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } } };
}

export const jsonBody = <T, R extends boolean = true>(schema: T, required: R = true as R) => ({
  content: { 'application/json': { schema } },
  required,
});
export const jsonResponse = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
