import type { Context } from 'hono';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import type { Workflow } from '@temporalio/common';
import { operationLink, OperationInProgressError, startOperation, type StartOperationRequest } from '../../lib/operations';
import { waitForOutcome } from '../operations/wait-for-outcome';
import { srError } from './errors';
import type { LoadedRuntime } from './context';

/** Function states during which no other operation may start. */
export const TRANSIENT = new Set(['PENDING', 'UPDATING']);
/** Tries (100 ms apart) to start an operation while the previous one is only finishing. */
const SETTLE_ATTEMPTS = 10;

export const opHeaders = (operationId: string) => ({ 'Operation-Location': operationLink(operationId) });

/** 423 under `title` when a function is in a transient state or the runtime is not active. */
export function requireSteady({ row, functions }: LoadedRuntime, title: string): void {
  const transient = functions.filter((f) => TRANSIENT.has(f.state));
  if (transient.length || row.status !== 'active') {
    throw srError(423, title, transient.length ? transient.map((f) => `${f.role} is ${f.state}`).join('; ') : `the runtime is ${row.status}`);
  }
}

/**
 * Starts an operation on the runtime; 423 naming the running one when another holds it. An
 * operation that is only finishing (its runtime already reads steady) is waited for briefly, so
 * a PUT right after a runtime turned RUNNING does not bounce off its own create.
 */
export async function startRuntimeOperation<W extends Workflow>(deps: AppDeps, req: Omit<StartOperationRequest<W>, 'resourceType'>, conflictTitle: string) {
  const runtimeId = Number(req.resourceId);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOperation(deps, { ...req, resourceType: 'runtime' });
    } catch (e) {
      if (!(e instanceof OperationInProgressError)) throw e;
      const states = await deps.db.selectFrom('runtime_functions').select('state').where('runtime_id', '=', runtimeId).execute();
      if (attempt >= SETTLE_ATTEMPTS || states.some((f) => TRANSIENT.has(f.state))) throw srError(423, conflictTitle, e.message);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export type StartedRuntimeOperation = Awaited<ReturnType<typeof startRuntimeOperation>>;

/** Waits for a synchronous operation; a failure reads as the seed's error with the operation's reason. */
export async function awaitRuntimeOperation(c: Context, deps: AppDeps, started: StartedRuntimeOperation, title: string) {
  try {
    return await waitForOutcome(c, deps, started);
  } catch (e) {
    if (e instanceof HttpError) {
      throw new HttpError(e.status >= 500 ? 500 : e.status, 'runtime_error', title, e.message, opHeaders(started.operationId));
    }
    throw e;
  }
}
