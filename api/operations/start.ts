import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { PROJECT_ID, RESOURCE_ID, RESOURCE_TYPE } from '../../workflows/support/search-attributes';
import { HttpError } from '../errors';
import type { AppDeps } from '../deps';

export interface StartOperationRequest {
  workflowType: string;
  args: unknown[];
  resourceType: string;
  resourceId: string;
  projectId: string;
  /** Shown in the Temporal Web UI, e.g. "Start instance 42 (project demo)". */
  summary: string;
  userId: string | null;
  /** Upper bound for the whole run; every workflow has one. */
  runTimeoutMs?: number;
}

export interface StartedOperation {
  operationId: string;
  workflowId: string;
  handle: WorkflowHandle;
}

/** Workflow ID of a resource's mutations: one at a time per resource, enforced by Temporal. */
export function resourceWorkflowId(deps: AppDeps, resourceType: string, resourceId: string): string {
  return `${deps.config.WORKFLOW_ID_PREFIX}${resourceType}/${resourceId}`;
}

/** Renders the "another operation is running" conflict in a way every surface can show. */
export class OperationInProgressError extends HttpError {
  constructor(
    readonly operationId: string | null,
    resource: string,
    status: 409 | 423 = 409,
  ) {
    super(
      status,
      'operation_in_progress',
      `Another operation is in progress on ${resource}` + (operationId ? ` (operation ${operationId})` : ''),
      operationId ? { operation: `/v1/operations/${operationId}` } : undefined,
    );
  }
}

/**
 * Starts the workflow of one operation on a resource and records it so /v1/operations can find it.
 * A second mutation while one runs fails with OperationInProgressError (`conflictStatus`).
 */
export async function startOperation(
  deps: AppDeps,
  req: StartOperationRequest,
  conflictStatus: 409 | 423 = 409,
): Promise<StartedOperation> {
  const resource = `${req.resourceType}/${req.resourceId}`;
  const workflowId = resourceWorkflowId(deps, req.resourceType, req.resourceId);
  let handle: WorkflowHandleWithFirstExecutionRunId;
  try {
    handle = await deps.temporal.workflow.start(req.workflowType, {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: req.args,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowRunTimeout: req.runTimeoutMs ?? 60 * 60_000,
      staticSummary: req.summary,
      typedSearchAttributes: [
        { key: RESOURCE_TYPE, value: req.resourceType },
        { key: RESOURCE_ID, value: resource },
        { key: PROJECT_ID, value: req.projectId },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const running = await deps.db
        .selectFrom('operations')
        .select('id')
        .where('workflow_id', '=', workflowId)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      throw new OperationInProgressError(running?.id ?? null, resource, conflictStatus);
    }
    throw err;
  }
  const runId = handle.firstExecutionRunId;
  await deps.db
    .insertInto('operations')
    .values({
      id: runId,
      workflow_id: workflowId,
      run_id: runId,
      workflow_type: req.workflowType,
      resource_type: req.resourceType,
      resource_id: resource,
      project_id: req.projectId,
      summary: req.summary,
      created_by: req.userId,
    })
    .execute();
  deps.logger.info({ operationId: runId, workflowId, workflowType: req.workflowType, resource }, 'operation started');
  return { operationId: runId, workflowId, handle: deps.temporal.workflow.getHandle(workflowId, runId) };
}

/** The /v1/operations link every mutating response carries. */
export function operationLink(operationId: string): string {
  return `/v1/operations/${operationId}`;
}
