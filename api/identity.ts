import type { OpenAPIHono } from '@hono/zod-openapi';
import { projectRoutes } from './auth/project-routes';
import { newIdentityApp, registerSecuritySchemes } from './auth/route-helpers';
import { tokenRoutes } from './auth/token-routes';
import { userRoutes } from './auth/user-routes';
import type { AppDeps, AppEnv } from './deps';
import { renderPlatformError, toHttpError } from './errors';

/**
 * Provisio's identity API, mounted under /v1: API tokens and the caller (/auth/tokens, /me),
 * users (/users, global admins), projects and memberships (/projects).
 */
export function identityRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = newIdentityApp();
  registerSecuritySchemes(app);
  app.route('/', tokenRoutes(deps));
  app.route('/', userRoutes(deps));
  app.route('/', projectRoutes(deps));
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) deps.logger.error({ err, path: c.req.path }, 'identity request failed');
    return renderPlatformError(c, httpError);
  });
  return app;
}
