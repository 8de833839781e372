import { fileURLToPath } from 'node:url';
import type { InjectedSinks } from '@temporalio/worker';
import { operationMetrics, surfaceOf, type OperationMetrics } from '../lib/operation-metrics';
import type { OperationMetricsSinks } from './workflow-metrics-interceptor';

/** Workflow interceptor modules every platform workflow bundle should include. */
export const WORKFLOW_INTERCEPTOR_MODULES = [fileURLToPath(new URL('./workflow-metrics-interceptor.ts', import.meta.url))];

/** Runs counted in this process: a first task that failed and ran again is not a second start. */
const SEEN_LIMIT = 10_000;

/** The `operationMetrics` sink the interceptor calls (never for replayed history). */
export function operationMetricsSinks(metrics: OperationMetrics = operationMetrics()): InjectedSinks<OperationMetricsSinks> {
  const seen = new Set<string>();
  return {
    operationMetrics: {
      started: {
        fn: (info, resourceType: string) => {
          if (seen.has(info.runId)) return;
          seen.add(info.runId);
          if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value!);
          metrics.started.inc({ workflow_type: info.workflowType, surface: surfaceOf(resourceType) });
        },
        callDuringReplay: false,
      },
    },
  };
}
