import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../deps';
import { json } from '../openapi-helpers';
import { runtimeJsonSchema } from './schemas';

/** OpenAPI pieces shared by the Provision Engine route modules. */

export { json };

const ErrorSchema = z.object({ error: z.string(), message: z.unknown() }).openapi('ServerlessRuntimeError');

/** A response carrying the seed's `{"error", "message"}` body. */
export const err = (description: string) => json(ErrorSchema, description);

/** The errors every runtime endpoint can answer; spread the ones a route documents. */
export const runtimeErrors = {
  401: err('No or bad credentials'),
  404: err('Serverless Runtime not found'),
  423: err('The runtime is in a transient state or another operation runs on it'),
} as const;

/** Any JSON object (templates, pages, schema, config). */
export const AnyObject = z.record(z.string(), z.unknown());

export const RuntimeSchema = z.record(z.string(), z.unknown()).openapi('ServerlessRuntime', {
  example: {
    SERVERLESS_RUNTIME: {
      NAME: 'Function_831fb29b-bf5c-4b74-8dff-a1e2efc2e892',
      ID: 1489,
      FAAS: { FLAVOUR: 'Function', VM_ID: 945, STATE: 'PENDING', ENDPOINT: '', CPU: 1, MEMORY: 128, DISK_SIZE: 200 },
      SCHEDULING: {},
      DEVICE_INFO: {},
      SERVICE_ID: 1488,
    },
  },
});

/** Documented, not validated by the router: the handlers parse it so they can answer the seed's errors in its order. */
export const specBody = { required: true, content: { 'application/json': { schema: runtimeJsonSchema as any } } };

export const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '1489' }) });

export const tags = ['serverless runtimes'];

/** Route config of an endpoint behind HTTP Basic: documented as such and guarded by `auth`. */
export const authenticated = (auth: MiddlewareHandler<AppEnv>) => ({ tags, security: [{ basic: [] }], middleware: [auth] });
