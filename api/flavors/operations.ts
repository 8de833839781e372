import type { Workflow } from '@temporalio/common';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  operationLink,
  OperationInProgressError,
  startOperation,
  type StartedOperation,
  type StartOperationRequest,
  type StartOptions,
} from '../../lib/operations';
import { FLAVOR_FAILURES } from '../../workflows/flavors/names';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import { waitForOutcome } from '../operations/wait-for-outcome';
import { flavorError } from './errors';

export const opHeaders = (operationId: string) => ({ 'Operation-Location': operationLink(operationId) });

/** How a failed region operation reads over HTTP: what the region said decides the status. */
const STATUS_OF_FAILURE: Record<string, ContentfulStatusCode> = {
  [FLAVOR_FAILURES.nameTaken]: 409,
  [FLAVOR_FAILURES.invalid]: 400,
  [FLAVOR_FAILURES.notFound]: 404,
  [FLAVOR_FAILURES.credentialsRejected]: 403,
  Cancelled: 409,
};

/** Starts an operation; another one on the same resource is a 409 naming it. `options`: see api/operations/recorded.ts (answered). */
export async function startFlavorOperation<W extends Workflow>(deps: AppDeps, req: StartOperationRequest<W>, options?: StartOptions): Promise<StartedOperation<W>> {
  try {
    return await startOperation(deps, req, options);
  } catch (err) {
    if (err instanceof OperationInProgressError) {
      throw flavorError(409, `${err.message}; try again once it has finished`, err.operationId ? opHeaders(err.operationId) : undefined);
    }
    throw err;
  }
}

/**
 * Waits for the operation like the blueprint's synchronous calls (up to SYNC_WAIT_MS; none with
 * `Prefer: respond-async`): the result when it completed, undefined while it still runs (answer 202),
 * and its failure as the seed's error: 502 when a region did not answer, 409/400/403/404 when a
 * region said why.
 */
export async function awaitFlavorOperation<T>(c: Context, deps: AppDeps, started: StartedOperation): Promise<{ result: T } | undefined> {
  try {
    return await waitForOutcome<T>(c, deps, started);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    const failure = (err.details as { failure?: string } | undefined)?.failure ?? '';
    throw flavorError(STATUS_OF_FAILURE[failure] ?? 502, err.message, opHeaders(started.operationId));
  }
}
