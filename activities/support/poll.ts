import { Context } from '@temporalio/activity';
import { handedBack, sleepUnlessDraining, workerDraining } from './draining';

/**
 * One early look after the first: a wait usually starts right after the call that began a
 * transition (or one activity dispatch later), so the first look finds the object mid-transition,
 * often a few ms from done. Without it the answer would come a whole interval later.
 */
export const FIRST_RECHECK_MS = 10;

/**
 * How long to sleep after look number `look` (0 = the first): the early look is an extra one,
 * so the later looks stay on the interval's grid (interval, 2 × interval, …) and none comes later
 * than it did without it.
 */
export function delayAfterLook(look: number, intervalMs: number): number {
  if (intervalMs <= FIRST_RECHECK_MS || look > 1) return intervalMs;
  return look === 0 ? FIRST_RECHECK_MS : intervalMs - FIRST_RECHECK_MS;
}

/**
 * Polls `check` until it returns a value, heartbeating each round so a cancelled operation
 * (or a lost worker) is noticed within the heartbeat timeout. Errors from `check` propagate.
 * When the worker starts draining the poll ends at once with a retryable failure: Temporal
 * retries it on another worker (a poll resumes anywhere), and the draining worker is not held.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, describe: () => string): Promise<T> {
  const ctx = Context.current();
  for (let look = 0; ; look++) {
    const value = await check();
    if (value !== undefined) return value;
    if (workerDraining().aborted) throw handedBack(describe());
    ctx.heartbeat(describe());
    await sleepUnlessDraining(delayAfterLook(look, intervalMs), describe()); // rejects with CancelledFailure when the activity is cancelled
  }
}
