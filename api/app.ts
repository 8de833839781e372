import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { AppDeps, AppEnv } from './deps';
import { renderPlatformError, toHttpError } from './errors';
import { healthRoutes } from './health';
import { idempotency } from './idempotency';
import { requestContext } from './request-context';
import { identityRoutes } from './identity';
import { operationRoutes } from './operations/routes';
import { computeRoutes } from './compute/routes';
import { runtimeRoutes } from './runtimes/routes';
import { appsRoutes } from './apps/routes';
import { flavorsRoutes } from './flavors/routes';
import { clustersRoutes } from './clusters/routes';

/** The whole REST API: one module per surface, mounted at its seed's base path. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: false });
  app.use('*', requestContext(deps));
  app.use('*', idempotency(deps));
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get('logger')?.error({ err }, 'unhandled error');
    return renderPlatformError(c, httpError);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  app.route('/', healthRoutes(deps));
  app.route('/v1', identityRoutes(deps));
  app.route('/v1', operationRoutes(deps));
  app.route('/v0', computeRoutes(deps));
  app.route('/', runtimeRoutes(deps));
  app.route('/', appsRoutes(deps)); // /oauth/token, /api/v1|v2/nubomedia/paas
  app.route('/v1', flavorsRoutes(deps)); // /v1/flavors, /v1/promotedflavors, /v1/regions, /v1/region, /v1/infrastructures
  app.route('/bigdata/api/v1', clustersRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'basic', { type: 'http', scheme: 'basic' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Provisio',
      version: '0.1.0',
      description:
        'Provisioning platform. Every long-running operation is a Temporal workflow; mutating answers link to /v1/operations/{id}.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  return app;
}
