import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { metricsAuthorized } from '../lib/metrics-token';
import type { AppEnv } from './deps';

/**
 * Prometheus metrics of the API: requests by route template, method and status, and their
 * latency. Labels use the route template (`/v0/compute/instance/:n/start`), never the raw path, so
 * the number of series is bounded by the number of routes; unmatched paths share one label.
 */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export const UNMATCHED_ROUTE = '(unmatched)';

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'provisio-api' });
  collectDefaultMetrics({ register: registry, prefix: 'provisio_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'provisio_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'provisio_http_request_duration_seconds',
      help: 'HTTP request latency until the response headers, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
  };
}

const isMiddleware = (r: { method: string; path: string }) => r.method === 'ALL' && r.path.endsWith('*');

/**
 * The route template of the endpoint a request reached: the handler that answered, or — when a
 * middleware answered first (a 401 from auth) — the endpoint it guarded. Null when no endpoint
 * matched the path and method.
 */
export function routeTemplate(c: Context): string | null {
  const routes = matchedRoutes(c);
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  const wanted = (r: { method: string; path: string }) => !isMiddleware(r) && (r.method === method || r.method === 'ALL');
  const answered = routes[c.req.routeIndex];
  if (answered && wanted(answered)) return answered.path;
  return routes.slice(c.req.routeIndex).find(wanted)?.path ?? null;
}

/** Counts and times every request (run it first, around every surface). */
export function httpMetrics(metrics: ApiMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const end = metrics.duration.startTimer();
    try {
      await next();
    } finally {
      const labels = { method: c.req.method, route: routeTemplate(c) ?? UNMATCHED_ROUTE, status: String(c.res.status) };
      end(labels);
      metrics.requests.inc(labels);
    }
  };
}

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(metrics: ApiMetrics, token: string | undefined): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (!metricsAuthorized(token, c.req.header('authorization'))) return c.text('metrics need Authorization: Bearer <METRICS_TOKEN>\n', 401);
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}
