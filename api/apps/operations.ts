import type { Workflow } from '@temporalio/common';
import {
  operationLink,
  OperationInProgressError,
  resourceWorkflowId,
  startOperation,
  type StartedOperation,
  type StartOperationRequest,
  type StartOptions,
} from '../../lib/operations';
import type { AppDeps } from '../deps';
import { paasError } from './errors';
import type { AppRow } from './views';

export const opHeaders = (operationId: string) => ({ 'Operation-Location': operationLink(operationId) });

type AppOperationRequest<W extends Workflow> = Omit<StartOperationRequest<W>, 'resourceType' | 'resourceId' | 'projectId'>;

/** The resource an app's operations act on (workflow ID `app/<id>`). */
export const onApp = (app: Pick<AppRow, 'id' | 'project_id'>) => ({ resourceType: 'app', resourceId: app.id, projectId: app.project_id });

/**
 * Starts an operation on an app (workflow ID `app/<id>`); 409 naming the running one when another
 * holds the app. `options` (api/operations/recorded.ts `answered`) records the answer a retry of a
 * POST with an Idempotency-Key gets, should this request die after the start.
 */
export async function startAppOperation<W extends Workflow>(deps: AppDeps, app: AppRow, req: AppOperationRequest<W>, options?: StartOptions): Promise<StartedOperation<W>> {
  try {
    return await startOperation(deps, { ...req, ...onApp(app) }, options);
  } catch (err) {
    if (err instanceof OperationInProgressError) {
      throw paasError(409, `Another operation is in progress on application ${app.name}`, err.operationId ? { operation: operationLink(err.operationId) } : undefined);
    }
    throw err;
  }
}

/** Attempts to take over an app from operations that do not let go at once. */
const TAKEOVER_ATTEMPTS = 3;

/**
 * Starts deleteApp, as Heroku deletes an app mid-build: an operation holding the app (a deploy,
 * a scaling step) is cancelled first, compensates, and then the delete starts. A delete already
 * running is answered as this one.
 */
export async function startAppDeletion<W extends Workflow>(deps: AppDeps, app: AppRow, req: AppOperationRequest<W>): Promise<StartedOperation> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOperation(deps, { ...req, ...onApp(app) });
    } catch (err) {
      if (!(err instanceof OperationInProgressError) || attempt >= TAKEOVER_ATTEMPTS) throw err;
      const handle = deps.temporal.workflow.getHandle(resourceWorkflowId(deps.config, 'app', app.id));
      const running = await handle.describe();
      if (running.type === req.workflow.name && err.operationId) return { operationId: err.operationId, workflowId: running.workflowId, handle };
      await handle.cancel().catch(() => undefined); // it may have ended in the meantime: then the next start succeeds
      await Promise.race([handle.result().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, deps.config.SYNC_WAIT_MS).unref())]);
    }
  }
}
