import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The worker's Prometheus metrics about operations, one registry per process (served by
 * worker/metrics-server.ts next to the Temporal SDK's metrics). Two sources, each exactly once:
 *
 * - started: the workflow interceptor (worker/workflow-metrics-interceptor.ts) reports an
 *   operation's first workflow task through a sink;
 * - closed (completed, failed, cancelled, terminated, timed_out) and durations: the event pump
 *   (activities/webhooks.ts), when it records the operation's terminal event — once per operation,
 *   whichever worker runs it. A sink cannot count closings: a task that completes the workflow can
 *   be rejected and run again (a cancel request arriving meanwhile), and terminations and timeouts
 *   never run workflow code at all.
 *
 * Webhook delivery attempts are counted by the delivery activity, one per attempt.
 *
 * Sum over workers in queries: `sum by (workflow_type) (rate(provisio_operations_closed_total[5m]))`.
 */

/** Resource types (the `ResourceType` search attribute) by the API surface that owns them. */
const SURFACE_OF: Record<string, string> = {
  instance: 'compute',
  volume: 'compute',
  snapshot: 'compute',
  runtime: 'runtimes',
  app: 'apps',
  'media-server': 'apps',
  flavor: 'flavors',
  'region-flavor': 'flavors',
  region: 'flavors',
  infrastructure: 'flavors',
  cluster: 'clusters',
  product: 'clusters',
};

export const surfaceOf = (resourceType: string) => SURFACE_OF[resourceType] ?? resourceType;

export type OperationOutcome = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

export interface OperationMetrics {
  registry: Registry;
  started: Counter<'workflow_type' | 'surface'>;
  closed: Counter<'workflow_type' | 'surface' | 'outcome'>;
  duration: Histogram<'workflow_type' | 'surface' | 'outcome'>;
  webhookAttempts: Counter<'result'>;
}

let processMetrics: OperationMetrics | undefined;

export function operationMetrics(): OperationMetrics {
  if (processMetrics) return processMetrics;
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'provisio-worker' });
  collectDefaultMetrics({ register: registry, prefix: 'provisio_worker_' });
  processMetrics = {
    registry,
    started: new Counter({
      name: 'provisio_operations_started_total',
      help: 'Operations started (their first workflow task ran), by workflow type and surface',
      labelNames: ['workflow_type', 'surface'],
      registers: [registry],
    }),
    closed: new Counter({
      name: 'provisio_operations_closed_total',
      help: 'Operations that ended, by workflow type, surface and outcome (completed, failed, cancelled, terminated, timed_out)',
      labelNames: ['workflow_type', 'surface', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'provisio_operation_duration_seconds',
      help: 'Operation duration from start to close, by workflow type, surface and outcome',
      labelNames: ['workflow_type', 'surface', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'provisio_webhook_attempts_total',
      help: 'Webhook delivery attempts, by result (delivered, http_error, network_error)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
  return processMetrics;
}

/** An operation closed (called once per operation by the event pump). */
export function countOperationClosed(op: { workflowType: string; resourceType: string; outcome: OperationOutcome; durationMs: number }): void {
  const metrics = operationMetrics();
  const labels = { workflow_type: op.workflowType, surface: surfaceOf(op.resourceType), outcome: op.outcome };
  metrics.closed.inc(labels);
  metrics.duration.observe(labels, Math.max(0, op.durationMs) / 1000);
}
