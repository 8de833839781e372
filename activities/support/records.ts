import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../db/connection';
import { crossOut, INTERRUPTED_REASON, isRecorded, startAbandoned, startMemoOf, type StartMemo } from '../../lib/operations';

/** The failure type of a create whose request died before recording it (it created nothing). */
export const INTERRUPTED = 'Interrupted';

/** How long one attempt waits for the rows before handing back (retried by Temporal: a worker shutdown or a cancel is noticed). */
const ATTEMPT_WAIT_MS = 5_000;
const POLL_MS = 100;

/**
 * The row a create's first step needs. A create's workflow starts while the transaction that
 * writes its rows is still open (lib/operations.ts, startRecordedOperation), so the first look may
 * come a moment early: it waits for the commit. What tells is this run's own operations row, which
 * commits with the rows — not a row found by its key: a retry of the request writes a row with the
 * same key (a volume's instance and name) for a run of its own.
 *
 * If the request died before committing — its start crossed out by recovery, or its process dead —
 * the rows will never come: the run ends itself (terminated, see `endRun`), having created nothing.
 * Runs started otherwise (no start memo saying it records rows) keep the old rule: a missing row is
 * NotFound at once.
 */
export async function awaitRecorded<T>(deps: { db: Db; temporal: Client }, find: () => Promise<T | undefined>, what: string): Promise<T> {
  const ctx = Context.current();
  const found = async () => {
    const row = await find();
    if (row === undefined) throw ApplicationFailure.nonRetryable(`${what} does not exist`, 'NotFound');
    return row;
  };
  const run = ctx.info.workflowExecution;
  // Recorded already (the usual case by the time a worker runs the step): its rows are there.
  if (!run || (await isRecorded(deps.db, run.runId))) return found();
  const own = await ownStart(deps.temporal, run);
  if (!own?.memo.records) return found();
  const { memo, firstRunId } = own;

  const until = Date.now() + Math.min(ATTEMPT_WAIT_MS, Math.max(1_000, ctx.info.startToCloseTimeoutMs / 2));
  for (;;) {
    if (await isRecorded(deps.db, firstRunId)) return found();
    const start = await deps.db.selectFrom('operation_starts').select(['owner', 'created_at']).where('token', '=', memo.token).executeTakeFirst();
    if (!start) {
      // Crossed out: by the transaction that recorded this run (then it is recorded now), or by whoever gave the start up.
      if (await isRecorded(deps.db, firstRunId)) return found();
      return endRun(deps.temporal, run, what);
    }
    if (await startAbandoned(deps.db, start)) {
      // Whoever crosses the start out decides: if it is us, the recording transaction can no longer commit.
      if (await crossOut(deps.db, memo.token)) return endRun(deps.temporal, run, what);
      continue;
    }
    if (Date.now() > until) throw ApplicationFailure.retryable(`${what} is not recorded yet; its request is still recording it`, 'NotRecordedYet');
    if (!ctx.info.isLocal) ctx.heartbeat(`waiting for ${what} to be recorded`);
    await ctx.sleep(POLL_MS);
  }
}

/**
 * Ends a run whose start was given up, terminated rather than failed: it created nothing, and its
 * workflow's compensations find rows by keys that a retry of its request reuses for a run of its
 * own (they would undo the retry's work). A run already ended (by the retry) is just as good.
 */
async function endRun(temporal: Client, run: { workflowId: string; runId: string }, what: string): Promise<never> {
  try {
    await temporal.workflow.getHandle(run.workflowId, run.runId).terminate(INTERRUPTED_REASON);
  } catch (err) {
    // Retried: the next attempt finds the start still given up and ends the run then.
    if (!(err instanceof WorkflowNotFoundError)) throw ApplicationFailure.retryable(`could not end a run whose start was given up: ${String(err)}`, 'NotRecordedYet');
  }
  // The run is over: nobody receives this; it says why should the run somehow still be open.
  throw ApplicationFailure.nonRetryable(`${what} was never recorded: the request that started this operation was interrupted first; nothing was created`, INTERRUPTED);
}

/** This run's start memo, and the first run id of its workflow execution (the id its operations row has). */
async function ownStart(temporal: Client, run: { workflowId: string; runId: string }): Promise<{ memo: StartMemo; firstRunId: string } | undefined> {
  const description = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
  const memo = startMemoOf(description);
  return memo && { memo, firstRunId: description.raw.workflowExecutionInfo?.firstRunId || description.runId };
}
