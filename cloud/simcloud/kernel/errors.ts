import type { CloudErrorCode } from '../../contract';

/** An error with a contract code; the HTTP kernel turns it into `{error:{code,message}}` with a matching status. */
export class SimError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** capacity and exists share 409 with conflict; the body's code tells them apart. */
export const statusForCode: Record<CloudErrorCode, 400 | 401 | 404 | 409 | 503> = {
  invalid: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  capacity: 409,
  exists: 409,
  unavailable: 503,
};

export const notFound = (kind: string, id: string) => new SimError('not_found', `${kind} ${id} not found`);
export const conflict = (message: string) => new SimError('conflict', message);
export const capacity = (message: string) => new SimError('capacity', message);
export const invalid = (message: string) => new SimError('invalid', message);
export const exists = (message: string) => new SimError('exists', message);
