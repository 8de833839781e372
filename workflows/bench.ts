import { ParentClosePolicy, WorkflowIdReusePolicy, proxyActivities, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { BenchActivities } from '../activities/bench';

/**
 * The ceiling an operation is compared with (`npm run bench`): a workflow that does nothing but
 * issue the same commands as the operation — local activities, activities, child workflows — in
 * the same order, with no-op bodies. Its latency is what Temporal, the worker and the network cost
 * for that shape; whatever an operation takes beyond it is the platform's own work.
 */
const retry = { initialInterval: '100ms', maximumAttempts: 3 };
const activity = proxyActivities<BenchActivities>({ startToCloseTimeout: '10s', retry });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '10s', retry });

/**
 * One local activity (a state write, as operations begin), then `activities` activities one after
 * another, then the remaining local activities, then `childWorkflows` abandoned children started
 * (as startInstance starts its address watcher).
 */
export async function emptyShape(localActivities: number, activities: number, childWorkflows = 0): Promise<{ commands: number }> {
  if (localActivities > 0) await local.benchNoop();
  for (let i = 0; i < activities; i++) await activity.benchNoop();
  for (let i = 1; i < localActivities; i++) await local.benchNoop();
  for (let i = 0; i < childWorkflows; i++) {
    await startChild(emptyChild, {
      workflowId: `${workflowInfo().workflowId}/child-${i}`,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowRunTimeout: '1m',
    });
  }
  return { commands: localActivities + activities + childWorkflows };
}

/** The child an empty shape starts: it ends at once. */
export async function emptyChild(): Promise<void> {}
