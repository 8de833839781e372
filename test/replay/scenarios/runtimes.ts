import { expect } from 'vitest';
import { readOwnerMark } from '../../../lib/inventory';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';
import { cloudVmOf, createRuntime, getRuntime, operationsOf, srClient, supervisorOf, waitForState } from '../../runtimes/support';

const SETTINGS = {
  RUNTIME_SUPERVISOR_INTERVAL_MS: '100',
  RUNTIME_SUPERVISOR_TICKS_PER_RUN: '3',
  RUNTIME_SUPERVISOR_MAX_RECOVERIES: '1',
  RUNTIME_RECOVERY_ATTEMPTS: '2',
  RUNTIME_RECOVERY_DELAY_MS: '50',
};

/**
 * Drives every serverless-runtime workflow through the API so the recorder captures: createRuntime
 * (completed, and failed with compensation), updateRuntime (completed, failed), recoverRuntime
 * (completed after a host went down, failed after its bounded attempts), deleteRuntime, and
 * superviseRuntime (continued as new, and cancelled by a delete).
 */
export async function runtimesScenario(stack: Stack): Promise<void> {
  const saved = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, SETTINGS);
  try {
    const sr = srClient(stack);
    const running = async (spec: Record<string, unknown>) => {
      const created = await createRuntime(sr, spec);
      const r = await waitForState(sr, created.ID, 'RUNNING');
      await supervisorOf(stack, created.ID);
      return r;
    };
    // A recovery the supervisor started may still be finishing: DELETE answers 423 until it has.
    const remove = async (id: number) => {
      const status = await waitFor(async () => {
        const res = await sr.delete(`/serverless-runtimes/${id}`);
        return res.status === 423 ? undefined : res.status;
      });
      expect(status).toBe(204);
    };

    // Happy path: create, update (rename, resize, disk, reschedule), supervisor continue-as-new, delete.
    const a = await running({ NAME: 'rec-a', FAAS: { FLAVOUR: 'Function', CPU: 2, MEMORY: 133, DISK_SIZE: 1025 }, DAAS: { FLAVOUR: 'Data' } });
    const put = await sr.put(`/serverless-runtimes/${a.ID}`, {
      SERVERLESS_RUNTIME: { NAME: 'rec-a2', FAAS: { FLAVOUR: 'Function', CPU: 3, MEMORY: 177, DISK_SIZE: 1338 }, DEVICE_INFO: { LATENCY_TO_PE: 3 } },
    });
    expect(put.status).toBe(200);
    const { handle, description } = await supervisorOf(stack, a.ID);
    await waitFor(async () => ((await handle.describe()).runId !== description.runId ? true : undefined));
    await remove(a.ID);

    // Deploy failure: the DAAS cannot be placed; the FAAS VM is deleted again.
    const b = await createRuntime(sr, { NAME: 'rec-b', FAAS: { FLAVOUR: 'Function' }, DAAS: { FLAVOUR: 'Data', CPU: 1000 } });
    await waitForState(sr, b.ID, 'ERROR');
    await remove(b.ID);

    // Recovery after the host went down (migrate + boot on a healthy host).
    const c = await running({ NAME: 'rec-c', FAAS: { FLAVOUR: 'Function' } });
    const vm = (await cloudVmOf(stack, c.ID))!;
    await stack.cloud.hostDown(vm.hostId);
    await waitFor(async () => {
      const ops = await operationsOf(stack, c.ID);
      return ops.some((o) => o.workflow_type === 'recoverRuntime') && (await getRuntime(sr, c.ID)).FAAS.STATE === 'RUNNING' ? true : undefined;
    });
    await stack.cloud.hostUp(vm.hostId);
    await remove(c.ID);

    // A recovery that fails after its bounded attempts (every host of the region down), then a PUT that recovers.
    const d = await running({ NAME: 'rec-d', FAAS: { FLAVOUR: 'Function' } });
    const dvm = (await cloudVmOf(stack, d.ID))!;
    const hosts = (await stack.cloud.listHosts({ region: dvm.region })).map((h) => h.id);
    for (const h of hosts) await stack.cloud.hostDown(h);
    await waitFor(async () => (/Recovery attempt 2\/2/.test((await getRuntime(sr, d.ID)).FAAS.ERROR ?? '') ? true : undefined));
    for (const h of hosts) await stack.cloud.hostUp(h);
    await waitFor(async () => {
      const res = await sr.put(`/serverless-runtimes/${d.ID}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function' } } });
      return res.status === 200 ? true : undefined;
    });
    await waitForState(sr, d.ID, 'RUNNING');

    // An update that fails (no room on the host to grow), then a PUT that recovers.
    const e = await running({ NAME: 'rec-e', FAAS: { FLAVOUR: 'Function', CPU: 40 } });
    const failed = await sr.put(`/serverless-runtimes/${e.ID}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function', CPU: 70 } } });
    expect(failed.status).toBe(409);
    await waitForState(sr, e.ID, 'ERROR');
    expect((await sr.put(`/serverless-runtimes/${e.ID}`, { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'Function' } } })).status).toBe(200);
    await remove(d.ID);
    await remove(e.ID);

    // A create whose VM answer is lost, then refused for good: the compensation finds the VM the
    // cloud made by its owner mark and name, and deletes it.
    const lost = await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, mode: 'lost_response' });
    const f = await createRuntime(sr, { NAME: 'rec-lost', FAAS: { FLAVOUR: 'Function' } });
    await waitFor(async () => ((await stack.cloud.listFaultRules()).find((r) => r.id === lost.id)!.hits >= 1 ? true : undefined), 30_000, 10);
    await stack.cloud.clearFaults();
    await stack.cloud.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1, status: 409, code: 'capacity' });
    await waitForState(sr, f.ID, 'ERROR');
    await stack.cloud.clearFaults();
    const marked = (await stack.cloud.listVms()).filter((vm) => {
      const mark = readOwnerMark(stack.config.WORKFLOW_ID_PREFIX, vm.context);
      return vm.state !== 'deleted' && mark !== null && `${mark.resourceType}/${mark.resourceId}` === `runtime/${f.ID}`;
    });
    expect(marked).toEqual([]);
    await remove(f.ID);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
