import type { Workflow } from '@temporalio/common';
import type { Context } from 'hono';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema';
import {
  recordAnswer,
  startOperation,
  startRecordedOperation,
  StartInterruptedError,
  type OperationOn,
  type StartOptions,
  type StartedOperation,
  type StartOperationRequest,
} from '../../lib/operations';
import { crashPoint } from '../../lib/test-crash';
import type { AppDeps } from '../deps';
import { claimOf, storedAnswer } from '../idempotency';

/**
 * How the API surfaces start operations so that a crash at any moment loses nothing and a retry
 * (same Idempotency-Key) doubles nothing (lib/operations.ts has the mechanism):
 *
 * - `startRecorded` for a create: the rows the workflow needs are written by `records` in a
 *   transaction that also records the operation and the answer a retry gets (`answer`: what the
 *   surface answers when the operation is still running, i.e. its 202 with Location and the
 *   operation link). Committed together, or not at all (then the run, if it started, gives up).
 * - `startAnswered` for an operation on an existing resource: the same, without rows.
 * - `recordAnswered` for a create without a workflow: its rows and its answer in one transaction.
 *
 * A request without an Idempotency-Key gets the same atomicity; only the answer is not stored.
 */
export function startRecorded<W extends Workflow, R>(
  c: Context,
  deps: AppDeps,
  spec: {
    records: (tx: Transaction<Database>) => Promise<R>;
    workflow: W;
    operation: (value: R) => OperationOn<W>;
    answer: (value: R, operationId: string) => Response | Promise<Response>;
  },
): Promise<StartedOperation<W> & { value: R }> {
  const claim = claimOf(c);
  return startRecordedOperation(deps, {
    records: spec.records,
    workflow: spec.workflow,
    operation: spec.operation,
    ...(claim ? { claim, answer: async (value: R, operationId: string) => storedAnswer(await spec.answer(value, operationId)) } : {}),
  });
}

/** Starts an operation on an existing resource; a retry after a crash gets `answer` (the 202 with the operation link). */
export function startAnswered<W extends Workflow>(
  c: Context,
  deps: AppDeps,
  req: StartOperationRequest<W>,
  answer: (operationId: string) => Response | Promise<Response>,
): Promise<StartedOperation<W>> {
  return startOperation(deps, req, answered(c, answer));
}

/** Start options recording `answer` under the request's Idempotency-Key (for surfaces that wrap startOperation). */
export function answered(c: Context, answer: (operationId: string) => Response | Promise<Response>): StartOptions {
  const claim = claimOf(c);
  return claim ? { claim, answer: async (operationId) => storedAnswer(await answer(operationId)) } : {};
}

/** A create without a workflow: `records` and the answer a retry gets, in one transaction. */
export async function recordAnswered<R>(
  c: Context,
  deps: AppDeps,
  records: (tx: Transaction<Database>) => Promise<R>,
  answer: (value: R) => Response | Promise<Response>,
): Promise<R> {
  const claim = claimOf(c);
  const value = await deps.db.transaction().execute(async (tx) => {
    const written = await records(tx);
    if (claim && !(await recordAnswer(tx, claim, await storedAnswer(await answer(written))))) {
      throw new StartInterruptedError('the Idempotency-Key of the request was taken over by a retry');
    }
    return written;
  });
  crashPoint('after-record', new URL(c.req.url).pathname);
  return value;
}
