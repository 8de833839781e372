import { parse, type Op, type SimApp } from '../kernel/http';
import type { Metrics } from './metrics';
import { metricsQuery } from './schema';

export function metricRoutes(app: SimApp, op: Op, metrics: Metrics): void {
  app.get(
    '/metrics',
    op('getMetrics', 'metrics', (c) => c.json({ metrics: metrics.get(parse(metricsQuery, { target: c.req.queries('target') ?? [] }).target) })),
  );
}
