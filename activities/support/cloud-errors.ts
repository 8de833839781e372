import { ApplicationFailure } from '@temporalio/common';
import { CloudError, type CloudBackend, type CloudErrorCode, type Vm } from '../../cloud/contract';

/** Failure types workflows and the API recognise; these never retry. */
export const FAILURE_TYPES: Partial<Record<CloudErrorCode, string>> = {
  capacity: 'CapacityError',
  not_found: 'NotFound',
  invalid: 'InvalidRequest',
};

/**
 * Runs a cloud call, turning permanent cloud errors into non-retryable ApplicationFailures with a
 * type. Transient ones (conflict, unavailable) are rethrown as they are, so Temporal retries them.
 */
export async function cloudCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CloudError && !err.retryable) {
      throw ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES[err.code] ?? 'CloudError');
    }
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CloudError && err.code === 'not_found';
}

/** The VM, or null once it is gone (deleted, or unknown to the backend); other errors propagate. */
export async function existingVm(cloud: CloudBackend, vmId: string): Promise<Vm | null> {
  try {
    const vm = await cloud.getVm(vmId);
    return vm.state === 'deleted' ? null : vm;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
