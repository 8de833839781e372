import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../deps';
import { toHttpError } from '../errors';
import { rejectInvalid } from '../validation';
import { flavorAuth } from './access';
import { registerCatalogRoutes } from './catalog';
import { renderFlavorError } from './errors';
import { registerInfrastructureRoutes } from './infrastructures';
import { registerPromotedRoutes } from './promoted';
import { registerRegionRoutes } from './regions';

/**
 * The FIWARE flavor-sync API, mounted at /v1 beside Provisio's own /v1 routes (users, projects,
 * auth, operations): every middleware here is attached to its own routes only, so theirs are untouched.
 * X-Auth-Token on every call; JSON or XML both ways; errors in the blueprint's shape.
 */
export function flavorsRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: rejectInvalid });
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get('logger')?.error({ err }, 'unhandled error');
    return renderFlavorError(c, httpError);
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'flavorToken', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: 'A Provisio API token (POST /v1/auth/tokens)',
  });
  const auth = flavorAuth(deps);
  registerPromotedRoutes(app, deps, auth);
  registerRegionRoutes(app, deps, auth);
  registerInfrastructureRoutes(app, deps, auth);
  registerCatalogRoutes(app, deps, auth);
  return app;
}
