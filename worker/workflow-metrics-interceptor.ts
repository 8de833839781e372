/**
 * Workflow interceptor module (runs inside the workflow sandbox): reports an operation's start to
 * the worker process through the `operationMetrics` sink (lib/operation-metrics.ts counts it). An
 * operation is a top-level workflow started with `ResourceType` and `ProjectId` search attributes
 * (lib/operations.ts sets them); child workflows, schedules, the event pump and webhook deliveries
 * are not counted. It adds no
 * command, so replay histories are unaffected, and it reports only from a live first task (sinks
 * are not called for replayed history). Closings are counted by the event pump, exactly once.
 *
 * Register it with `interceptors.workflowModules` (the factory does when it bundles) or, for a
 * prebuilt bundle, `bundleWorkflowCode({ workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES })`.
 */
import {
  proxySinks,
  workflowInfo,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { PROJECT_ID, RESOURCE_TYPE } from '../workflows/support/search-attributes';

export interface OperationMetricsSinks extends Sinks {
  operationMetrics: {
    started(resourceType: string): void;
  };
}

const { operationMetrics } = proxySinks<OperationMetricsSinks>();

class OperationMetricsInterceptor implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = workflowInfo();
    const resourceType = info.typedSearchAttributes.get(RESOURCE_TYPE);
    const isOperation = !!resourceType && !!info.typedSearchAttributes.get(PROJECT_ID) && !info.parent;
    // A continued run is the same operation; a replaying worker has reported it already.
    if (isOperation && !info.continuedFromExecutionRunId && !info.unsafe.isReplaying) operationMetrics.started(resourceType);
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new OperationMetricsInterceptor()] });
