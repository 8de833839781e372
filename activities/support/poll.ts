import { Context } from '@temporalio/activity';
import { handedBack, sleepUnlessDraining, workerDraining } from './draining';

/**
 * Polls `check` until it returns a value, heartbeating each round so a cancelled operation
 * (or a lost worker) is noticed within the heartbeat timeout. Errors from `check` propagate.
 * When the worker starts draining the poll ends at once with a retryable failure: Temporal
 * retries it on another worker (a poll resumes anywhere), and the draining worker is not held.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, describe: () => string): Promise<T> {
  const ctx = Context.current();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (workerDraining().aborted) throw handedBack(describe());
    ctx.heartbeat(describe());
    await sleepUnlessDraining(intervalMs, describe()); // rejects with CancelledFailure when the activity is cancelled
  }
}
