import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from '../auth/middleware';
import type { AppDeps, AppEnv } from '../deps';
import { toHttpError } from '../errors';
import { registerAppRoutes } from './apps';
import { projectScope, type PaasEnv } from './context';
import { registerCreateRoute } from './create';
import { rejectInvalidPaas, renderPaasError } from './errors';
import { registerLogRoutes } from './logs';
import { registerMediaServerRoutes } from './media-servers';
import { OAUTH_PATHS, registerOAuthRoutes } from './oauth';
import { registerSecretRoutes } from './secrets';

export const PAAS_BASE_PATHS = ['/api/v1/nubomedia/paas', '/api/v2/nubomedia/paas'];

function withPaasErrors<E extends AppEnv>(app: OpenAPIHono<E>): OpenAPIHono<E> {
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get('logger')?.error({ err }, 'unhandled error');
    return renderPaasError(c, httpError);
  });
  return app;
}

/**
 * The NUBOMEDIA PaaS API: `POST /oauth/token` at the root (and under each base path), then the
 * same handlers under /api/v1/nubomedia/paas and /api/v2/nubomedia/paas, behind a Bearer token
 * and the `project-id` header.
 */
export function appsRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const root = withPaasErrors(new OpenAPIHono<AppEnv>({ strict: false, defaultHook: rejectInvalidPaas }));
  // The seed's delete example calls `http://host//api/v1/…`; Spring folds the slashes, and so do we.
  root.use('//api/*', async (c) => {
    const url = new URL(c.req.url);
    url.pathname = url.pathname.replace(/^\/+/, '/');
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer();
    return root.fetch(new Request(url, { method: c.req.method, headers: c.req.raw.headers, body }), c.env);
  });
  registerOAuthRoutes(root, deps);

  const paas = withPaasErrors(new OpenAPIHono<PaasEnv>({ strict: false, defaultHook: rejectInvalidPaas }));
  const bearer = bearerAuth(deps, { realm: 'nubomedia-paas', messages: { missing: 'Full authentication is required to access this resource' } });
  const scope = projectScope(deps);
  // The token endpoint under a base path is the root's (registered above), not behind a token.
  const guarded: MiddlewareHandler<PaasEnv> = async (c, next) => {
    if (OAUTH_PATHS.includes(new URL(c.req.url).pathname)) return next();
    await bearer(c as never, async () => {
      await scope(c, next);
    });
  };
  paas.use('*', guarded);
  registerAppRoutes(paas, deps);
  registerCreateRoute(paas, deps);
  registerLogRoutes(paas, deps);
  registerMediaServerRoutes(paas, deps);
  registerSecretRoutes(paas, deps);

  for (const base of PAAS_BASE_PATHS) root.route(base, paas);
  return root;
}
