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

/** When the API drains (SIGTERM): synchronous waits end by then at the latest (epoch ms). */
let drainDeadline: number | undefined;
const drainListeners = new Set<() => void>();

/**
 * The API starts draining: every synchronous wait, running or to come, ends by `deadline` at the
 * latest and its request answers 202 with the operation link, before the grace period cuts it off.
 */
export function beginDrain(deadline: number): void {
  drainDeadline = Math.min(deadline, drainDeadline ?? Infinity);
  for (const rearm of drainListeners) rearm();
}

/**
 * Waits for an operation up to `timeoutMs`. Seeds with synchronous semantics (Kahu start/stop,
 * runtime PUT) answer with the outcome when it comes in time, else 202 with the operation link;
 * a draining API ends its waits early (see beginDrain).
 */
export async function awaitOperation<T>(handle: WorkflowHandle, timeoutMs: number): Promise<AwaitedOperation<T>> {
  if (timeoutMs <= 0) return { state: 'running' };
  const until = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let rearm: (() => void) | undefined;
  const timeout = new Promise<AwaitedOperation<T>>((resolve) => {
    rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => resolve({ state: 'running' }), Math.max(0, Math.min(until, drainDeadline ?? Infinity) - Date.now()));
    };
    rearm();
  });
  drainListeners.add(rearm!);
  const outcome = handle.result().then(
    (result) => ({ state: 'completed', result }) as AwaitedOperation<T>,
    (err) => {
      if (err instanceof WorkflowFailedError) return { state: 'failed', ...failureOf(err) } as AwaitedOperation<T>;
      throw err;
    },
  );
  outcome.catch(() => {}); // raced below; after a timeout its late failure (e.g. the connection closing at exit) is nobody's
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
    drainListeners.delete(rearm!);
  }
}
