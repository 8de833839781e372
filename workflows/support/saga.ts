import { CancellationScope, isCancellation, ApplicationFailure, log } from '@temporalio/workflow';
import type { Progress } from './progress';

interface Compensation {
  step: string;
  undo: () => Promise<unknown>;
}

/**
 * Remembers how to undo each completed step. On failure or cancellation the compensations run
 * in reverse order inside a non-cancellable scope, so a cancelled operation still cleans up.
 */
export class Saga {
  private readonly compensations: Compensation[] = [];

  constructor(private readonly progress: Progress) {}

  add(step: string, undo: () => Promise<unknown>): void {
    this.compensations.push({ step, undo });
  }

  async compensate(): Promise<void> {
    this.progress.compensating();
    await CancellationScope.nonCancellable(async () => {
      for (const c of [...this.compensations].reverse()) {
        try {
          await c.undo();
          this.progress.compensated(c.step);
        } catch (err) {
          // Keep going: a later undo may still release other resources. The failure is logged and visible in history.
          log.error('compensation failed', { step: c.step, error: err instanceof Error ? err.message : String(err) });
        }
      }
    });
    this.compensations.length = 0;
  }

  /**
   * Runs `body`; on any failure (or cancellation) compensates, marks progress failed and rethrows.
   * Cancellation is rethrown as-is so Temporal records the workflow as cancelled.
   */
  async run<T>(body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      this.progress.completed();
      return result;
    } catch (err) {
      await this.compensate();
      this.progress.failed(isCancellation(err) ? 'cancelled' : describeFailure(err));
      if (isCancellation(err) || err instanceof ApplicationFailure) throw err;
      const cause = findApplicationFailure(err);
      throw ApplicationFailure.create({
        message: describeFailure(err),
        type: cause?.type ?? 'OperationFailed',
        nonRetryable: true,
      });
    }
  }
}

/** The most specific message in a Temporal failure chain (activity failures wrap the cause). */
export function describeFailure(err: unknown): string {
  let e: any = err;
  let message = e instanceof Error ? e.message : String(e);
  while (e && e.cause) {
    e = e.cause;
    if (e instanceof Error && e.message) message = e.message;
  }
  return message;
}

export function findApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let e: any = err;
  while (e) {
    if (e instanceof ApplicationFailure) return e;
    e = e.cause;
  }
  return undefined;
}
