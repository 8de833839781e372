import { OpenAPIHono } from '@hono/zod-openapi';
import { basicAuth } from '../auth/middleware';
import type { AppDeps, AppEnv } from '../deps';
import { toHttpError } from '../errors';
import { rejectInvalidAs, renderRuntimeError } from './errors';
import { registerRuntimeRoutes } from './runtimes';
import { registerServerInfoRoutes } from './server-info';
import { registerTemplateRoutes } from './templates';

/**
 * The Provision Engine API (serverless runtimes) at /serverless-runtimes and /server: HTTP Basic
 * against Provisio's users; runtimes live in the caller's default project.
 *
 * Order matters: the fixed paths (/serverless-runtimes/schema, /templates) are registered before
 * /serverless-runtimes/{id}, whose route they would otherwise fall to.
 */
export function runtimeRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: rejectInvalidAs('Invalid request') });
  app.onError((e, c) => {
    const httpError = toHttpError(e);
    if (httpError.status >= 500) c.get('logger')?.error({ err: e }, 'unhandled error');
    return renderRuntimeError(c, httpError);
  });
  const auth = basicAuth(deps, { realm: 'provision-engine' });
  registerServerInfoRoutes(app, deps);
  registerTemplateRoutes(app, deps, auth);
  registerRuntimeRoutes(app, deps, auth);
  return app;
}
