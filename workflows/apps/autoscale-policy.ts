/**
 * The autoscaler's policy (NUBOMEDIA's OneFlow-style rules): scale out by one when the average
 * consumed capacity of the ACTIVE media servers is at or above the threshold, scale in by one
 * when it is at or below the low mark, never past 1 and the limit, and not while cooling down
 * after the last action. Pure, so the workflow stays deterministic and the rules are unit-tested.
 */

/** What the autoscaler reads each period (activities/apps readAppLoad). */
export interface AppLoad {
  /** The app was deleted (or is being deleted): the autoscaler ends. */
  gone: boolean;
  status: string;
  /** Media servers of the app, whatever their state (they all count towards the limits). */
  hosts: number;
  /** Those in the pool, whose load is averaged. */
  activeHosts: number;
  /** Average consumed capacity points of the active media servers; null when none is active. */
  average: number | null;
  limit: number;
  threshold: number;
}

export interface ScalingDecision {
  action: 'out' | 'in' | 'none';
  reason: string;
}

const points = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function decideScaling(load: AppLoad, lowMark: number, cooldownLeftMs: number): ScalingDecision {
  if (load.status !== 'RUNNING') return { action: 'none', reason: `app is ${load.status}` };
  if (load.average === null) return { action: 'none', reason: 'no ACTIVE media server to measure' };
  const measured = `average consumed capacity ${points(load.average)} on ${load.activeHosts} ACTIVE media server(s)`;
  let wanted: ScalingDecision;
  if (load.average >= load.threshold) {
    wanted =
      load.hosts < load.limit
        ? { action: 'out', reason: `${measured} ≥ threshold ${points(load.threshold)}` }
        : { action: 'none', reason: `${measured} ≥ threshold ${points(load.threshold)}, but the maximum of ${load.limit} media servers is reached` };
  } else if (load.average <= lowMark) {
    wanted =
      load.hosts > 1
        ? { action: 'in', reason: `${measured} ≤ low mark ${points(lowMark)}` }
        : { action: 'none', reason: `${measured} ≤ low mark ${points(lowMark)}, but the minimum of 1 media server is reached` };
  } else {
    wanted = { action: 'none', reason: `${measured} is between the low mark ${points(lowMark)} and the threshold ${points(load.threshold)}` };
  }
  if (wanted.action !== 'none' && cooldownLeftMs > 0) {
    return { action: 'none', reason: `${wanted.reason}; cooling down (${Math.ceil(cooldownLeftMs / 1000)} s left)` };
  }
  return wanted;
}
