import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';

const retry = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 30 };

/**
 * A short call (one backend request, one database write). Cancellation waits for the call to
 * finish, so compensation always sees what it created.
 */
export const quickCall: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** A wait on a cloud resource: polls and heartbeats, so cancellation and lost workers are noticed fast. */
export const cloudWait: ActivityOptions = {
  startToCloseTimeout: '15m',
  heartbeatTimeout: '10s',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * A write to the platform's own database: run as a local activity, inside the workflow task, so
 * recording a state costs no round trip through the Temporal server.
 */
export const recordCall: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
