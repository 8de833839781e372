import { describe, expect, it } from 'vitest';
import { delayAfterLook, FIRST_RECHECK_MS } from '../../activities/support/poll';

/** When pollUntil looks, in ms after its first look. */
const lookTimes = (intervalMs: number, looks: number) => {
  const times = [0];
  for (let look = 0; times.length < looks; look++) times.push(times[look]! + delayAfterLook(look, intervalMs));
  return times;
};

describe('pollUntil schedule', () => {
  it('looks again soon after the first look, then keeps to the interval grid', () => {
    expect(lookTimes(25, 5)).toEqual([0, FIRST_RECHECK_MS, 25, 50, 75]);
    expect(lookTimes(1000, 4)).toEqual([0, FIRST_RECHECK_MS, 1000, 2000]);
  });

  it('never looks more often than the interval when the interval is that short already', () => {
    expect(lookTimes(FIRST_RECHECK_MS, 4)).toEqual([0, 1, 2, 3].map((n) => n * FIRST_RECHECK_MS));
    expect(lookTimes(5, 3)).toEqual([0, 5, 10]);
  });
});
