import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';

/** The NUBOMEDIA PaaS apps and media servers API (placeholder until the domain lands). */
export function appsRoutes(_deps: AppDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ strict: false });
}
