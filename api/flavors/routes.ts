import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';

/** The FIWARE flavor catalog across regions API (placeholder until the domain lands). */
export function flavorsRoutes(_deps: AppDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ strict: false });
}
