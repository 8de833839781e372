import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowOptions,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../db/connection';
import { PROJECT_ID, RESOURCE_ID, RESOURCE_TYPE } from '../workflows/support/search-attributes';
import type { Config } from './config';
import type { Logger } from './logger';

/**
 * Starting an operation: one workflow run on one resource, recorded so /v1/operations can find
 * it. Shared by the API (requests) and activities (supervisors start operations like any client).
 */
export interface OperationStarterDeps {
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'WORKFLOW_ID_PREFIX'>;
  db: Db;
  temporal: Client;
  logger: Logger;
}

export interface StartOperationRequest<W extends Workflow> {
  /** The workflow function: its name is the workflow type, its parameters type `args`. */
  workflow: W;
  args: Parameters<W>;
  resourceType: string;
  resourceId: string;
  projectId: string;
  /** Shown in the Temporal Web UI, e.g. "Start instance 42 (project demo)". */
  summary: string;
  userId: string | null;
  /** Upper bound for the whole run; every workflow has one. */
  runTimeoutMs?: number;
}

export interface StartedOperation<W extends Workflow = Workflow> {
  operationId: string;
  workflowId: string;
  handle: WorkflowHandle<W>;
}

/**
 * Start options for a generic workflow W: the SDK types `args` with a conditional type that
 * TypeScript cannot resolve while W is generic, so the pairing is asserted here, once.
 */
export function withArgs<W extends Workflow>(args: Parameters<W>, options: WorkflowOptions): WorkflowStartOptions<W> {
  return { ...options, args } as unknown as WorkflowStartOptions<W>;
}

/** Workflow ID of a resource's mutations: one at a time per resource, enforced by Temporal. */
export function resourceWorkflowId(config: Pick<Config, 'WORKFLOW_ID_PREFIX'>, resourceType: string, resourceId: string): string {
  return `${config.WORKFLOW_ID_PREFIX}${resourceType}/${resourceId}`;
}

/** Another operation holds the resource; each surface renders it with its seed's conflict status. */
export class OperationInProgressError extends Error {
  constructor(
    readonly operationId: string | null,
    readonly resource: string,
  ) {
    super(`Another operation is in progress on ${resource}` + (operationId ? ` (operation ${operationId})` : ''));
    this.name = 'OperationInProgressError';
  }
}

/**
 * Starts the workflow of one operation on a resource and records it. A second mutation while one
 * runs fails with OperationInProgressError naming the running operation.
 */
export async function startOperation<W extends Workflow>(deps: OperationStarterDeps, req: StartOperationRequest<W>): Promise<StartedOperation<W>> {
  const resource = `${req.resourceType}/${req.resourceId}`;
  const workflowId = resourceWorkflowId(deps.config, req.resourceType, req.resourceId);
  let handle: WorkflowHandleWithFirstExecutionRunId<W>;
  try {
    const options = withArgs<W>(req.args, {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowRunTimeout: req.runTimeoutMs ?? 60 * 60_000,
      staticSummary: req.summary,
      typedSearchAttributes: [
        { key: RESOURCE_TYPE, value: req.resourceType },
        { key: RESOURCE_ID, value: resource },
        { key: PROJECT_ID, value: req.projectId },
      ],
    });
    handle = await deps.temporal.workflow.start(req.workflow, options);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const running = await deps.db
        .selectFrom('operations')
        .select('id')
        .where('workflow_id', '=', workflowId)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      throw new OperationInProgressError(running?.id ?? null, resource);
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
      workflow_type: req.workflow.name,
      resource_type: req.resourceType,
      resource_id: resource,
      project_id: req.projectId,
      summary: req.summary,
      created_by: req.userId,
    })
    .execute();
  deps.logger.info({ operationId: runId, workflowId, workflowType: req.workflow.name, resource }, 'operation started');
  return { operationId: runId, workflowId, handle: deps.temporal.workflow.getHandle<W>(workflowId, runId) };
}

/** The /v1/operations link every mutating response carries. */
export function operationLink(operationId: string): string {
  return `/v1/operations/${operationId}`;
}
