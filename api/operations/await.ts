import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';

export type AwaitedOperation<T> =
  | { state: 'completed'; result: T }
  | { state: 'failed'; type: string; message: string }
  | { state: 'running' };

/** The innermost ApplicationFailure of a workflow failure: its type says what went wrong. */
export function failureOf(err: WorkflowFailedError): { type: string; message: string } {
  let e: any = err.cause;
  let message = e?.message ?? err.message;
  while (e) {
    if (e instanceof ApplicationFailure) return { type: e.type ?? 'OperationFailed', message: e.message };
    if (e instanceof CancelledFailure) return { type: 'Cancelled', message: 'operation was cancelled' };
    if (e instanceof TerminatedFailure) return { type: 'Terminated', message: 'operation was terminated' };
    if (e instanceof TimeoutFailure) return { type: 'Timeout', message: 'operation timed out' };
    if (e.message) message = e.message;
    e = e.cause;
  }
  return { type: 'OperationFailed', message };
}

/**
 * Waits for an operation up to `timeoutMs`. Seeds with synchronous semantics (Kahu start/stop,
 * runtime PUT) answer with the outcome when it comes in time, else 202 with the operation link.
 */
export async function awaitOperation<T>(handle: WorkflowHandle, timeoutMs: number): Promise<AwaitedOperation<T>> {
  if (timeoutMs <= 0) return { state: 'running' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AwaitedOperation<T>>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'running' }), timeoutMs);
  });
  const outcome = handle.result().then(
    (result) => ({ state: 'completed', result }) as AwaitedOperation<T>,
    (err) => {
      if (err instanceof WorkflowFailedError) return { state: 'failed', ...failureOf(err) } as AwaitedOperation<T>;
      throw err;
    },
  );
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
