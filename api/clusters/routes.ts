import { OpenAPIHono } from '@hono/zod-openapi';
import { authTokenHeader } from '../auth/middleware';
import type { AppDeps, AppEnv } from '../deps';
import { toHttpError } from '../errors';
import { registerClusterRoutes } from './clusters';
import { notFound, rejectInvalidParams, renderClusterError } from './errors';
import { registerLaunchRoutes } from './launch';
import { registerProductRoutes } from './products';

/**
 * The BigData PaaS API at /bigdata/api/v1: a product catalog (templates, options, orchestrators)
 * and the clusters launched from it. `x-auth-token` carries a Provisio API token on every call
 * but GET /products/{name}; errors read `{"status", "error", "message"}` as upstream's did.
 */
export function clustersRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: rejectInvalidParams });
  app.onError((e, c) => {
    const httpError = toHttpError(e);
    if (httpError.status >= 500) c.get('logger')?.error({ err: e }, 'unhandled error');
    return renderClusterError(c, httpError);
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'authToken', { type: 'apiKey', in: 'header', name: 'x-auth-token' });
  const auth = authTokenHeader(deps, 'x-auth-token', {
    messages: { missing: 'no token has been provided', badToken: 'please provide a valid authentication token' },
  });
  registerProductRoutes(app, deps, auth);
  registerLaunchRoutes(app, deps, auth);
  registerClusterRoutes(app, deps, auth);
  app.all('/*', (c) => {
    throw notFound(`invalid resource URI: no ${c.req.method} ${c.req.path}`);
  });
  return app;
}
