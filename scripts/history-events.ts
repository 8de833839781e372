/** Temporal history event types by number (temporal.api.enums.v1.EventType), as the benches read histories. */
export const HISTORY_EVENT = {
  started: 1,
  completed: 2,
  failed: 3,
  wftScheduled: 5,
  wftStarted: 6,
  wftCompleted: 7,
  wftTimedOut: 8,
  wftFailed: 9,
  actScheduled: 10,
  actStarted: 11,
  actCompleted: 12,
  actFailed: 13,
  actTimedOut: 14,
  actCanceled: 16,
  timerStarted: 17,
  timerFired: 18,
  timerCanceled: 19,
  canceled: 21,
  marker: 25,
  childInitiated: 29,
  childStartFailed: 30,
  childStarted: 31,
  childClosed: [32, 33, 34, 35, 36],
} as const;
export const ACTIVITY_CLOSED: readonly number[] = [HISTORY_EVENT.actCompleted, HISTORY_EVENT.actFailed, HISTORY_EVENT.actTimedOut, HISTORY_EVENT.actCanceled];
export const CLOSED: readonly number[] = [HISTORY_EVENT.completed, HISTORY_EVENT.failed, HISTORY_EVENT.canceled];
