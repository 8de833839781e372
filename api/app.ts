import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { AppDeps, AppEnv } from './deps';
import { renderPlatformError, toHttpError, type ErrorRenderer } from './errors';
import { healthRoutes } from './health';
import { idempotency } from './idempotency';
import { requestContext } from './request-context';
import { hostileInputGuard } from './validation';
import { renderKahuError } from './compute/errors';
import { renderRuntimeError } from './runtimes/errors';
import { identityRoutes } from './identity';
import { operationRoutes } from './operations/routes';
import { computeRoutes } from './compute/routes';
import { runtimeRoutes } from './runtimes/routes';
import { appsRoutes } from './apps/routes';
import { flavorsRoutes } from './flavors/routes';
import { clustersRoutes } from './clusters/routes';
import { auditRoutes } from './audit/routes';
import { trackingRequestRuns } from './audit/temporal';
import { auditTrail } from './audit/trail';
import { createApiMetrics, httpMetrics, metricsRoutes } from './metrics';
import { webhookRoutes } from './webhooks/routes';

/**
 * How an error raised before a surface's routes (the input guard, a middleware) reads, by path:
 * in the shape of the surface the request was for; Provisio's own shape elsewhere.
 */
const ERROR_RENDERERS: Array<[prefix: string, render: ErrorRenderer]> = [
  ['/v0/', renderKahuError],
  ['/serverless-runtimes', renderRuntimeError],
  ['/server/', renderRuntimeError],
];
const rendererFor = (path: string) => ERROR_RENDERERS.find(([prefix]) => path.startsWith(prefix))?.[1] ?? renderPlatformError;

/** The whole REST API: one module per surface, mounted at its seed's base path. */
export function createApp(appDeps: AppDeps): OpenAPIHono<AppEnv> {
  // Every surface gets a Temporal client that notes the runs a request starts (the audit trail links them).
  const deps: AppDeps = { ...appDeps, temporal: trackingRequestRuns(appDeps.temporal) };
  const metrics = createApiMetrics();
  const app = new OpenAPIHono<AppEnv>({ strict: false });
  app.use('*', requestContext(deps));
  app.use('*', httpMetrics(metrics));
  app.use('*', hostileInputGuard);
  app.use('*', auditTrail(deps));
  app.use('*', idempotency(deps));
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get('logger')?.error({ err }, 'unhandled error');
    return rendererFor(new URL(c.req.url).pathname)(c, httpError);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(metrics, deps.config.METRICS_TOKEN));
  app.route('/v1', auditRoutes(deps));
  app.route('/v1', webhookRoutes(deps));
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
