import { ApplicationFailure, CancellationScope, isCancellation, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { cloudWait, quickCall, recordCall } from '../support/activity-options';
import { describeFailure, findApplicationFailure } from '../support/saga';

/** What every app workflow shares: activity proxies, the resource key, client tokens, failure shape. */

export const quick = proxyActivities<Activities>(quickCall);
export const wait = proxyActivities<Activities>(cloudWait);
export const record = proxyLocalActivities<Activities>(recordCall);

export const resourceOf = (appId: string) => `app/${appId}`;

/** Deterministic per run and step: a retried or replayed step reuses it, so the cloud creates once. */
export function clientToken(step: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}/${runId}/${step}`;
}

/** Options of a short call with its Web UI summary. */
export const quickly = (summary: string) => ({ ...quickCall, summary });
/** Options of a cloud wait with its Web UI summary. */
export const waiting = (summary: string) => ({ ...cloudWait, summary });

/** A workflow failure carrying the most specific type and message of the cause. */
export function asFailure(err: unknown, fallbackType: string): unknown {
  if (isCancellation(err) || err instanceof ApplicationFailure) return err;
  return ApplicationFailure.create({ message: describeFailure(err), type: findApplicationFailure(err)?.type ?? fallbackType, nonRetryable: true });
}

/** "cancelled", or the most specific message of a failure. */
export const reasonOf = (err: unknown) => (isCancellation(err) ? 'cancelled' : describeFailure(err));

/**
 * Runs branches side by side, all or nothing: the first failure cancels the others (their
 * activities stop, and what they created is already known to the saga), every branch settles,
 * then that first failure is thrown.
 */
export async function allOrNothing(branches: Array<() => Promise<unknown>>): Promise<void> {
  let first: { error: unknown } | undefined;
  const scope = new CancellationScope();
  await scope.run(() =>
    Promise.allSettled(
      branches.map(async (branch) => {
        try {
          await branch();
        } catch (error) {
          if (!first) {
            first = { error };
            scope.cancel();
          }
          throw error;
        }
      }),
    ),
  );
  if (first) throw first.error;
}
