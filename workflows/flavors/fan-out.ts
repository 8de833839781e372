import { ApplicationFailure, isCancellation, type ActivityOptions } from '@temporalio/workflow';
import { quickCall } from '../support/activity-options';
import type { Progress } from '../support/progress';
import { describeFailure, findApplicationFailure } from '../support/saga';
import { FLAVOR_FAILURES, type RegionFailure } from './names';

const RETRY = { initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 5000 };

/** Attempts whose backoffs fit in most of the bound, so the last attempt's own failure (its reason) ends the call. */
function attemptsWithin(boundMs: number): number {
  let attempts = 1;
  let waited = 0;
  for (let interval = RETRY.initialIntervalMs; waited + interval <= boundMs * 0.8; interval = Math.min(interval * RETRY.backoffCoefficient, RETRY.maximumIntervalMs)) {
    waited += interval;
    attempts++;
  }
  return attempts;
}

/**
 * Options of one call to a region: retried with backoff while the region does not answer, for
 * about `regionTimeoutMs`; then that region counts as failed, with the reason of its last attempt
 * (or, when the region hangs, the schedule-to-close bound).
 */
export function inRegion(regionTimeoutMs: number, summary: string): ActivityOptions {
  return {
    ...quickCall,
    summary,
    startToCloseTimeout: Math.min(regionTimeoutMs, 20_000),
    scheduleToCloseTimeout: regionTimeoutMs,
    retry: {
      initialInterval: RETRY.initialIntervalMs,
      backoffCoefficient: RETRY.backoffCoefficient,
      maximumInterval: RETRY.maximumIntervalMs,
      maximumAttempts: attemptsWithin(regionTimeoutMs),
    },
  };
}

/**
 * Runs `work` for every region at once, each as its own progress step. One region failing never
 * stops the others; the failures come back, each with its type and reason. A cancellation is
 * rethrown as it is.
 */
export async function eachRegion(
  progress: Progress,
  regions: readonly string[],
  stepOf: (region: string) => string,
  work: (region: string) => Promise<void>,
): Promise<RegionFailure[]> {
  const outcomes = await Promise.allSettled(regions.map((region) => progress.run(stepOf(region), () => work(region))));
  const failures: RegionFailure[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    if (isCancellation(outcome.reason)) {
      progress.failed('cancelled');
      throw outcome.reason;
    }
    const region = regions[i]!;
    const failure = findApplicationFailure(outcome.reason);
    const reason = describeFailure(outcome.reason);
    failures.push(
      failure
        ? { region, type: failure.type ?? FLAVOR_FAILURES.regionUnavailable, reason: reason.startsWith(region) ? reason : `${region}: ${reason}` }
        : // No failure of its own: the region never answered before the bound (a timeout).
          { region, type: FLAVOR_FAILURES.regionUnavailable, reason: `${region} did not answer in time (${reason})` },
    );
  });
  return failures;
}

/**
 * Ends a fan-out: completed when every region did its part; otherwise failed, naming each failed
 * region and why. The regions that succeeded stay done (and recorded).
 */
export function settle(progress: Progress, what: string, failures: RegionFailure[]): void {
  if (!failures.length) {
    progress.completed();
    return;
  }
  const message = `Could not ${what}: ${failures.map((f) => f.reason).join('; ')}`;
  const type = failures.every((f) => f.type === failures[0]!.type) ? failures[0]!.type : FLAVOR_FAILURES.regionsFailed;
  progress.failed(message);
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: [failures] });
}
