import type { Context } from 'hono';
import type { AppDeps } from '../deps';
import { awaitOperation } from './await';
import { operationFailure } from './outcome';
import type { StartedOperation } from '../../lib/operations';

/**
 * For seeds whose calls are synchronous: waits up to SYNC_WAIT_MS for the operation (none with
 * `Prefer: respond-async`). Returns the result when it completed, `undefined` while it still runs
 * (the caller answers 202 with the operation link), and throws the failure as an HttpError.
 */
export async function waitForOutcome<T>(c: Context, deps: AppDeps, started: StartedOperation): Promise<{ result: T } | undefined> {
  const preferAsync = /\brespond-async\b/i.test(c.req.header('prefer') ?? '');
  const outcome = await awaitOperation<T>(started.handle, preferAsync ? 0 : deps.config.SYNC_WAIT_MS);
  if (outcome.state === 'completed') return { result: outcome.result };
  if (outcome.state === 'failed') throw operationFailure(outcome, started.operationId);
  return undefined;
}
