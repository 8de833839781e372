import { Context } from '@temporalio/activity';

/**
 * Polls `check` until it returns a value, heartbeating each round so a cancelled operation
 * (or a lost worker) is noticed within the heartbeat timeout. Errors from `check` propagate.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, describe: () => string): Promise<T> {
  const ctx = Context.current();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    ctx.heartbeat(describe());
    await ctx.sleep(intervalMs); // rejects with CancelledFailure when the activity is cancelled
  }
}
