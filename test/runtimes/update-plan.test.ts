import { describe, expect, it } from 'vitest';
import { HttpError } from '../../api/errors';
import type { RuntimeSpecInput } from '../../api/runtimes/schemas';
import { describePlan, diff, isEmpty, sameJson, type PlannedFunction, type PlannedRuntime } from '../../api/runtimes/update-plan';

const row: PlannedRuntime = {
  id: 7,
  name: 'fn-7',
  scheduling: { POLICY: 'FAST', REQUIREMENTS: 'ZONE=a' },
  device_info: { LATENCY_TO_PE: 5 },
};
/** Created with CPU 2 / MEMORY 512 / DISK 1024 (FAAS) and 1 / 256 / 2048 (DAAS): maxima twice that. */
const functions: PlannedFunction[] = [
  { role: 'FAAS', cpu: 2, memory: 512, disk_size: 1024, cpu_max: 4, memory_max: 1024 },
  { role: 'DAAS', cpu: 1, memory: 256, disk_size: 2048, cpu_max: 2, memory_max: 512 },
];
const spec = (over: Partial<RuntimeSpecInput> = {}): RuntimeSpecInput => ({ FAAS: { FLAVOUR: 'Function' }, ...over });

/** The 400 `diff` throws, as { status, title, detail }. */
function rejection(run: () => unknown) {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    const err = e as HttpError;
    return { status: err.status, title: err.message, detail: err.details };
  }
  throw new Error('expected diff to reject the update');
}

describe('diff', () => {
  it('plans nothing when the spec repeats the runtime', () => {
    const plan = diff(row, functions, spec({ NAME: 'fn-7', FAAS: { FLAVOUR: 'Function', CPU: 2, MEMORY: 512, DISK_SIZE: 1024 } }));
    expect(plan).toEqual({ functions: [] });
    expect(isEmpty(plan)).toBe(true);
  });

  it('plans a rename alone', () => {
    const plan = diff(row, functions, spec({ NAME: 'renamed' }));
    expect(plan).toEqual({ name: 'renamed', functions: [] });
    expect(isEmpty(plan)).toBe(false);
    expect(describePlan(plan)).toBe('rename');
  });

  it('resizes CPU and MEMORY up to twice the created capacity, only the changed keys', () => {
    const plan = diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', CPU: 4, MEMORY: 512 }, DAAS: { FLAVOUR: 'Data', MEMORY: 512 } }));
    expect(plan.functions).toEqual([
      { role: 'FAAS', cpu: 4 },
      { role: 'DAAS', memory: 512 },
    ]);
    expect(plan.placement).toBeUndefined();
    expect(describePlan(plan)).toBe('FAAS CPU 4; DAAS MEMORY 512');
  });

  it('shrinks CPU and MEMORY', () => {
    const plan = diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', CPU: 1, MEMORY: 128 } }));
    expect(plan.functions).toEqual([{ role: 'FAAS', cpu: 1, memory: 128 }]);
  });

  it('rejects CPU and MEMORY beyond the maximum, naming every problem', () => {
    const rejected = rejection(() => diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', CPU: 5, MEMORY: 1025 }, DAAS: { FLAVOUR: 'Data', CPU: 3 } })));
    expect(rejected).toEqual({
      status: 400,
      title: 'Invalid Serverless Runtime update',
      detail: 'FAAS.CPU: 5 is beyond the maximum 4; FAAS.MEMORY: 1025 is beyond the maximum 1024; DAAS.CPU: 3 is beyond the maximum 2',
    });
  });

  it('rejects the whole update when one key is out of bounds, even with valid changes beside it', () => {
    const rejected = rejection(() => diff(row, functions, spec({ NAME: 'renamed', FAAS: { FLAVOUR: 'Function', CPU: 3, MEMORY: 2048 } })));
    expect(rejected.detail).toBe('FAAS.MEMORY: 2048 is beyond the maximum 1024');
  });

  it('grows disks', () => {
    const plan = diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', DISK_SIZE: 4096 } }));
    expect(plan.functions).toEqual([{ role: 'FAAS', diskSize: 4096 }]);
    expect(describePlan(plan)).toBe('FAAS DISK 4096');
  });

  it('refuses to shrink a disk', () => {
    const rejected = rejection(() => diff(row, functions, spec({ DAAS: { FLAVOUR: 'Data', DISK_SIZE: 1024 } })));
    expect(rejected).toEqual({ status: 400, title: 'Invalid Serverless Runtime update', detail: 'DAAS.DISK_SIZE: disks can only grow (now 2048)' });
  });

  it('leaves functions absent from the spec untouched', () => {
    // No DAAS in the spec, or DAAS with an empty flavour ("no DaaS"): its out-of-bounds values are not even looked at.
    expect(diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', CPU: 3 } })).functions).toEqual([{ role: 'FAAS', cpu: 3 }]);
    const plan = diff(row, functions, spec({ FAAS: { FLAVOUR: 'Function', CPU: 3 }, DAAS: { FLAVOUR: '', CPU: 99, DISK_SIZE: 1 } }));
    expect(plan.functions).toEqual([{ role: 'FAAS', cpu: 3 }]);
  });

  it('ignores a DAAS in the spec when the runtime has no DAAS function', () => {
    const faasOnly = functions.filter((f) => f.role === 'FAAS');
    const plan = diff(row, faasOnly, spec({ DAAS: { FLAVOUR: 'Data', CPU: 2 } }));
    expect(isEmpty(plan)).toBe(true);
  });

  it('reschedules when SCHEDULING changes, carrying the current DEVICE_INFO', () => {
    const scheduling = { POLICY: 'SLOW', REQUIREMENTS: 'ZONE=b' };
    const plan = diff(row, functions, spec({ SCHEDULING: scheduling }));
    expect(plan).toEqual({ functions: [], placement: { scheduling, deviceInfo: row.device_info } });
    expect(describePlan(plan)).toBe('reschedule');
  });

  it('reschedules when DEVICE_INFO changes, carrying the current SCHEDULING', () => {
    const plan = diff(row, functions, spec({ DEVICE_INFO: { LATENCY_TO_PE: 9, GEOGRAPHIC_LOCATION: 'Paris' } }));
    expect(plan.placement).toEqual({ scheduling: row.scheduling, deviceInfo: { LATENCY_TO_PE: 9, GEOGRAPHIC_LOCATION: 'Paris' } });
  });

  it('does not reschedule for the same SCHEDULING and DEVICE_INFO in another key order', () => {
    const plan = diff(row, functions, spec({ SCHEDULING: { REQUIREMENTS: 'ZONE=a', POLICY: 'FAST' }, DEVICE_INFO: { LATENCY_TO_PE: 5 } }));
    expect(plan.placement).toBeUndefined();
  });

  it('describes a combined plan in order: rename, resizes, reschedule', () => {
    const plan = diff(
      row,
      functions,
      spec({ NAME: 'renamed', FAAS: { FLAVOUR: 'Function', CPU: 3, MEMORY: 1024, DISK_SIZE: 2048 }, DEVICE_INFO: {} }),
    );
    expect(describePlan(plan)).toBe('rename; FAAS CPU 3, MEMORY 1024, DISK 2048; reschedule');
  });
});

describe('sameJson', () => {
  it('ignores key order and undefined members, at every depth', () => {
    expect(sameJson({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1, e: undefined })).toBe(true);
  });

  it('tells different values and array orders apart', () => {
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({}, { a: null })).toBe(false);
  });
});
