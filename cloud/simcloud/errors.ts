import type { CloudErrorCode } from '../contract';

/** An error with a contract code; app.ts turns it into a JSON reply with a matching status. */
export class SimError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** capacity shares 409 with conflict; the body's code tells them apart. */
export const statusForCode: Record<CloudErrorCode, 400 | 404 | 409 | 503> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  capacity: 409,
  unavailable: 503,
};

export const notFound = (kind: string, id: string) => new SimError('not_found', `${kind} ${id} not found`);
export const conflict = (message: string) => new SimError('conflict', message);
export const capacity = (message: string) => new SimError('capacity', message);
export const invalid = (message: string) => new SimError('invalid', message);
