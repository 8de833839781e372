import { HttpError } from '../errors';

/** How a failed operation reads over HTTP: the failure type decides the status. */
export function operationFailure(failure: { type: string; message: string }, operationId: string): HttpError {
  const details = { operation: `/v1/operations/${operationId}`, failure: failure.type };
  switch (failure.type) {
    case 'CapacityError':
      return new HttpError(409, 'capacity', `No capacity: ${failure.message}`, details);
    case 'InvalidRequest':
      return new HttpError(400, 'invalid_request', failure.message, details);
    case 'NotFound':
      return new HttpError(404, 'not_found', failure.message, details);
    case 'Cancelled':
      return new HttpError(409, 'cancelled', 'The operation was cancelled', details);
    default:
      return new HttpError(502, 'operation_failed', failure.message, details);
  }
}
