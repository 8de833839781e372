import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/connection';
import { crossOut, startAbandoned, startMemoOf, type StartMemo } from '../../lib/operations';

/** The failure type of a create whose request died before recording it (it created nothing). */
export const INTERRUPTED = 'Interrupted';

/** How long one attempt waits for the rows before handing back (retried by Temporal: a worker shutdown or a cancel is noticed). */
const ATTEMPT_WAIT_MS = 5_000;
const POLL_MS = 100;

/**
 * The row a create's first step needs. A create's workflow starts while the transaction that
 * writes its rows is still open (lib/operations.ts, startRecordedOperation), so the first look may
 * come a moment early: it waits for the commit. If the request died before committing — its start
 * crossed out by recovery, or its process dead — the rows will never come: the run gives up with a
 * non-retryable `Interrupted` failure, having created nothing. Runs started otherwise (no start
 * memo saying it records rows) keep the old rule: a missing row is NotFound at once.
 */
export async function awaitRecorded<T>(deps: { db: Db; temporal: Client }, find: () => Promise<T | undefined>, what: string): Promise<T> {
  const first = await find();
  if (first !== undefined) return first;
  const ctx = Context.current();
  const memo = await ownStartMemo(deps.temporal, ctx);
  if (!memo?.records) throw ApplicationFailure.nonRetryable(`${what} does not exist`, 'NotFound');
  const interrupted = () =>
    ApplicationFailure.nonRetryable(`${what} was never recorded: the request that started this operation was interrupted first; nothing was created`, INTERRUPTED);

  const until = Date.now() + Math.min(ATTEMPT_WAIT_MS, Math.max(1_000, ctx.info.startToCloseTimeoutMs / 2));
  for (;;) {
    const row = await find();
    if (row !== undefined) return row;
    const start = await deps.db.selectFrom('operation_starts').select(['owner', 'created_at']).where('token', '=', memo.token).executeTakeFirst();
    if (!start) {
      // Crossed out: by the transaction that recorded the rows (then they are there now), or by recovery.
      const late = await find();
      if (late !== undefined) return late;
      throw interrupted();
    }
    if (await startAbandoned(deps.db, start)) {
      // Whoever crosses the start out decides: if it is us, the recording transaction can no longer commit.
      if (await crossOut(deps.db, memo.token)) throw interrupted();
      continue;
    }
    if (Date.now() > until) throw ApplicationFailure.retryable(`${what} is not recorded yet; its request is still recording it`, 'NotRecordedYet');
    if (!ctx.info.isLocal) ctx.heartbeat(`waiting for ${what} to be recorded`);
    await ctx.sleep(POLL_MS);
  }
}

async function ownStartMemo(temporal: Client, ctx: Context): Promise<StartMemo | undefined> {
  const run = ctx.info.workflowExecution;
  if (!run) return undefined;
  const description = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
  return startMemoOf(description);
}
