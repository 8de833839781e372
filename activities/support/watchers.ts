import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { OperationInProgressError, startOperation, type OperationStarterDeps, type StartOperationRequest } from '../../lib/operations';

/**
 * What long-running watchers (a runtime's supervisor, an app's autoscaler) share: they start
 * operations like any client, and stepping aside when a user's operation holds the resource is
 * normal ('busy': the next round looks again); and they are stopped by cancelling their run.
 */
export async function startUnlessBusy<W extends Workflow>(deps: OperationStarterDeps, req: StartOperationRequest<W>): Promise<'started' | 'busy'> {
  try {
    await startOperation(deps, req);
    return 'started';
  } catch (err) {
    if (err instanceof OperationInProgressError) return 'busy';
    throw err;
  }
}

/** Cancels the run of `workflowId` if it runs; one that already ended, or never existed, is fine. */
export async function cancelIfRunning(temporal: Client, workflowId: string): Promise<void> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') await handle.cancel();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw err;
  }
}
