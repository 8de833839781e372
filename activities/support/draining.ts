import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Whether this worker process is draining. The SDK tells activities about a worker shutdown only
 * when the grace period is over (it cancels them then, with WORKER_SHUTDOWN); a long poll that
 * could resume anywhere should not hold a draining worker that long. The worker entry handles
 * SIGTERM and SIGINT by shutting the worker down; this listens for the same signals — only where
 * the process already handles them, so it never changes how any process stops.
 */
let draining: AbortController | undefined;

export function workerDraining(): AbortSignal {
  if (!draining) {
    draining = new AbortController();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      if (process.listenerCount(signal) > 0) process.once(signal, () => draining!.abort());
    }
  }
  return draining.signal;
}

/** For tests and embedders that shut a worker down without a signal. */
export function beginWorkerDrain(): void {
  workerDraining();
  draining!.abort();
}

/** The retryable failure that hands an activity back to Temporal, for a worker that is not draining. */
export function handedBack(what: string): ApplicationFailure {
  return ApplicationFailure.retryable(`the worker is shutting down: ${what} resumes on another worker`, 'WorkerDraining');
}

/**
 * Sleeps `ms` in an activity, heartbeat-free; ends early with `handedBack` when the worker starts
 * draining (and with CancelledFailure when the activity is cancelled). For long polls:
 * `await sleepUnlessDraining(ms, 'the event pump')` in place of `Context.current().sleep(ms)`.
 */
export async function sleepUnlessDraining(ms: number, what: string): Promise<void> {
  const signal = workerDraining();
  if (signal.aborted) throw handedBack(what);
  let onAbort: (() => void) | undefined;
  const drained = new Promise<'drained'>((resolve) => {
    onAbort = () => resolve('drained');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const sleeping = Context.current().sleep(ms);
  sleeping.catch(() => {}); // raced below; once drained, a later cancellation must not go unhandled
  try {
    const outcome = await Promise.race([sleeping, drained]);
    if (outcome === 'drained') throw handedBack(what);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
