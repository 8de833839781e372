import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../deps';
import { json } from '../openapi-helpers';
import { ErrorSchema, PRODUCT_SEGMENT } from './schemas';

/** OpenAPI pieces shared by the BigData PaaS route modules. */

export { json };

/** Where app.ts mounts this surface; URIs in answers are absolute paths. */
export const BASE_PATH = '/bigdata/api/v1';

export const tags = ['bigdata clusters'];

/** A response carrying `{status, error, message}`. */
export const err = (description: string) => json(ErrorSchema, description);

export const errors = {
  400: err('Bad input: malformed JSON, a missing or wrong field (named), invalid options'),
  401: err('No token, or an invalid or expired one'),
  403: err('The role is too low (registering products needs admin or manager)'),
  404: err('No such product, version, cluster or queue entry (another user’s cluster reads as absent)'),
  409: err('Conflict: a duplicate product version, a version without template, or another operation runs on the cluster'),
  413: err('Body too large'),
  415: err('Wrong Content-Type'),
} as const;

/** Route config of an endpoint behind `x-auth-token`: documented as such and guarded by `auth`. */
export const authenticated = (auth: MiddlewareHandler<AppEnv>) => ({ tags, security: [{ authToken: [] }], middleware: [auth] });

const segment = (name: string, example: string) =>
  z.string().regex(PRODUCT_SEGMENT, `must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"`).openapi({ param: { name, in: 'path' }, example });

export const NameParam = z.object({ name: segment('name', 'reference') });
export const ProductParams = z.object({ name: segment('name', 'reference'), version: segment('version', '1.0.0') });

export const UserFilter = z.object({ user: z.string().min(1).max(64).openapi({ param: { name: 'user', in: 'path' }, example: 'alice' }) });
export const UserProductFilter = UserFilter.extend({ product: segment('product', 'reference') });
export const UserProductVersionFilter = UserProductFilter.extend({ version: segment('version', '1.0.0') });
export const ClusterParams = UserProductVersionFilter.extend({
  id: z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'must be a cluster number (1, 2, 3…)')
    .openapi({ param: { name: 'id', in: 'path' }, example: '1' }),
});

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z.coerce.number().int().min(0).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'From the previous page’s `next`' }),
});

/** A plain-text body (templates, orchestrator scripts) in the OpenAPI document. */
export const textContent = (types: string[], description: string) => ({
  required: true,
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string' } as any }])),
});
