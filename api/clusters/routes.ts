import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';

/** The BigData PaaS products and clusters API (placeholder until the domain lands). */
export function clustersRoutes(_deps: AppDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ strict: false });
}
