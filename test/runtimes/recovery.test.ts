import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { cloudVmOf, createRuntime, getRuntime, operationsOf, srClient, supervisorId, supervisorOf, waitForState, type SrClient } from './support';

let stack: Stack;
let sr: SrClient;
const ENV = {
  RUNTIME_SUPERVISOR_INTERVAL_MS: '100',
  RUNTIME_RECOVERY_DELAY_MS: '50',
  RUNTIME_RECOVERY_ATTEMPTS: '5',
  RUNTIME_SUPERVISOR_MAX_RECOVERIES: '3',
  RUNTIME_SUPERVISOR_TICKS_PER_RUN: '360',
};

beforeAll(async () => {
  Object.assign(process.env, ENV);
  stack = await startStack();
  sr = srClient(stack);
});
afterAll(async () => {
  Object.assign(process.env, ENV);
  await stack?.stop();
});

async function runningRuntime(spec: Record<string, unknown> = { FAAS: { FLAVOUR: 'Function' } }) {
  const created = await createRuntime(sr, spec);
  const running = await waitForState(sr, created.ID, 'RUNNING');
  await supervisorOf(stack, created.ID);
  return running;
}

/** Records every state a runtime's FAAS goes through while `until` has not happened. */
async function watchStates(id: number, until: () => Promise<boolean>, timeoutMs = 20_000): Promise<string[]> {
  const seen: string[] = [];
  await waitFor(
    async () => {
      const r = await getRuntime(sr, id);
      const entry = r.FAAS.STATE + (r.FAAS.ERROR ? `: ${r.FAAS.ERROR}` : '');
      if (seen[seen.length - 1] !== entry) seen.push(entry);
      return (await until()) ? true : undefined;
    },
    timeoutMs,
    10,
  );
  return seen;
}

describe('failure detection and automatic recovery', () => {
  it('a runtime whose host is taken down returns to RUNNING by itself, on a healthy host, keeping its IDs', async () => {
    const before = await runningRuntime();
    const vm = (await cloudVmOf(stack, before.ID))!;
    await stack.cloud.hostDown(vm.hostId);
    try {
      const states = await watchStates(before.ID, async () => {
        const ops = await operationsOf(stack, before.ID);
        if (!ops.some((o) => o.workflow_type === 'recoverRuntime')) return false;
        const r = await getRuntime(sr, before.ID);
        return r.FAAS.STATE === 'RUNNING' && r.FAAS.ENDPOINT !== '';
      });
      expect(states.some((s) => s.startsWith('ERROR') && s.includes('is down'))).toBe(true);
      const after = await getRuntime(sr, before.ID);
      expect(after).toMatchObject({ ID: before.ID, SERVICE_ID: before.SERVICE_ID, FAAS: { VM_ID: before.FAAS.VM_ID, STATE: 'RUNNING' } });
      const moved = (await cloudVmOf(stack, before.ID))!;
      expect(moved.id).toBe(vm.id);
      expect(moved.state).toBe('running');
      expect(moved.hostId).not.toBe(vm.hostId);
      const recovery = (await operationsOf(stack, before.ID)).find((o) => o.workflow_type === 'recoverRuntime')!;
      expect(recovery.created_by).toBeNull();
      const result = await stack.temporal.workflow.getHandle(recovery.workflow_id, recovery.run_id).result();
      expect(result.actions).toEqual([{ role: 'FAAS', action: 'migrate' }]);
    } finally {
      await stack.cloud.hostUp(vm.hostId);
    }
  });

  it('a crashed VM is rebooted on its own host', async () => {
    const before = await runningRuntime();
    const vm = (await cloudVmOf(stack, before.ID))!;
    await stack.cloud.crashVm(vm.id, 'kernel panic');
    const states = await watchStates(before.ID, async () => {
      const ops = await operationsOf(stack, before.ID);
      return ops.some((o) => o.workflow_type === 'recoverRuntime') && (await getRuntime(sr, before.ID)).FAAS.STATE === 'RUNNING';
    });
    expect(states).toContain('ERROR: kernel panic');
    const after = (await cloudVmOf(stack, before.ID))!;
    expect(after).toMatchObject({ id: vm.id, hostId: vm.hostId, state: 'running' });
  });

  it('a VM that vanished is recreated under the same VM_ID', async () => {
    const before = await runningRuntime();
    const vm = (await cloudVmOf(stack, before.ID))!;
    await stack.cloud.deleteVm(vm.id);
    await waitFor(async () => {
      const ops = await operationsOf(stack, before.ID);
      const r = await getRuntime(sr, before.ID);
      return ops.some((o) => o.workflow_type === 'recoverRuntime') && r.FAAS.STATE === 'RUNNING' ? true : undefined;
    });
    const after = (await cloudVmOf(stack, before.ID))!;
    expect(after.id).not.toBe(vm.id);
    expect(after.state).toBe('running');
    expect(after.context.SR_AUTH).toBe(Buffer.from('admin:admin').toString('base64'));
    expect((await getRuntime(sr, before.ID)).FAAS.VM_ID).toBe(before.FAAS.VM_ID);
  });

  it('stays in ERROR after a bounded number of attempts when no host can take it; a PUT then recovers it', async () => {
    process.env.RUNTIME_RECOVERY_ATTEMPTS = '2';
    process.env.RUNTIME_SUPERVISOR_MAX_RECOVERIES = '1';
    const before = await runningRuntime();
    process.env.RUNTIME_RECOVERY_ATTEMPTS = ENV.RUNTIME_RECOVERY_ATTEMPTS;
    process.env.RUNTIME_SUPERVISOR_MAX_RECOVERIES = ENV.RUNTIME_SUPERVISOR_MAX_RECOVERIES;
    const vm = (await cloudVmOf(stack, before.ID))!;
    const region = (await stack.cloud.listHosts({ region: vm.region })).map((h) => h.id);
    for (const h of region) await stack.cloud.hostDown(h);
    try {
      const failed = await waitFor(async () => {
        const r = await getRuntime(sr, before.ID);
        return r.FAAS.STATE === 'ERROR' && /Recovery attempt 2\/2 failed/.test(r.FAAS.ERROR) ? r : undefined;
      });
      expect(failed.FAAS.ERROR).toMatch(/no other host|down/);
      const recoveries = (await operationsOf(stack, before.ID)).filter((o) => o.workflow_type === 'recoverRuntime');
      expect(recoveries).toHaveLength(1);
      const handle = stack.temporal.workflow.getHandle(recoveries[0]!.workflow_id, recoveries[0]!.run_id);
      await expect(handle.result()).rejects.toThrow();
      // The supervisor gives up for this failure streak: no further recovery is started.
      await new Promise((r) => setTimeout(r, 500));
      expect((await operationsOf(stack, before.ID)).filter((o) => o.workflow_type === 'recoverRuntime')).toHaveLength(1);
      expect((await getRuntime(sr, before.ID)).FAAS.STATE).toBe('ERROR');
    } finally {
      for (const h of region) await stack.cloud.hostUp(h);
    }
    // ERROR → RUNNING by a PUT (as upstream), which also applies its changes.
    const res = await sr.put(`/serverless-runtimes/${before.ID}`, { SERVERLESS_RUNTIME: { NAME: 'recovered', FAAS: { FLAVOUR: 'Function' } } });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()).SERVERLESS_RUNTIME;
    expect(body).toMatchObject({ NAME: 'recovered', FAAS: { STATE: 'RUNNING', VM_ID: before.FAAS.VM_ID } });
    expect(body.FAAS.ERROR).toBeUndefined();
    const types = (await operationsOf(stack, before.ID)).map((o) => o.workflow_type);
    expect(types.slice(-2)).toEqual(['recoverRuntime', 'updateRuntime']);
  });

  it('the supervisor continues as new and keeps watching', async () => {
    process.env.RUNTIME_SUPERVISOR_TICKS_PER_RUN = '3';
    const rt = await runningRuntime();
    process.env.RUNTIME_SUPERVISOR_TICKS_PER_RUN = ENV.RUNTIME_SUPERVISOR_TICKS_PER_RUN;
    const { handle, description } = await supervisorOf(stack, rt.ID);
    const first = description.runId;
    await waitFor(async () => ((await handle.describe()).runId !== first ? true : undefined));
    const firstRun = await stack.temporal.workflow.getHandle(supervisorId(stack, rt.ID), first).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    // Still detects and recovers after continuing as new.
    const vm = (await cloudVmOf(stack, rt.ID))!;
    await stack.cloud.crashVm(vm.id, 'oom');
    await waitFor(async () => {
      const ops = await operationsOf(stack, rt.ID);
      return ops.some((o) => o.workflow_type === 'recoverRuntime') && (await getRuntime(sr, rt.ID)).FAAS.STATE === 'RUNNING' ? true : undefined;
    });
    expect((await sr.delete(`/serverless-runtimes/${rt.ID}`)).status).toBe(204);
    await waitFor(async () => ((await handle.describe()).status.name !== 'RUNNING' ? true : undefined));
  });
});
