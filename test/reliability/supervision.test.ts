import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScheduleHandle } from '@temporalio/client';
import { superviseInstances } from '../../workflows/compute';
import { ensureReliabilitySchedules } from '../../worker/schedules';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * Kahu instances follow their VMs (issue 10): an out-of-band crash, a host outage or a vanished
 * VM puts a running instance in error with the reason; a start brings it back. Each change is an
 * operation on the instance (followInstanceVm), started by the instance supervisor.
 */
let stack: Stack;
let kahu: KahuSession;

beforeAll(async () => {
  stack = await startStack({ config: { COMPUTE_SUPERVISE_INTERVAL_MS: '1000' } });
  kahu = await kahuSession(stack);
});
afterAll(async () => {
  await stack?.stop();
});

async function runningInstance(name: string) {
  const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name });
  expect(created.status).toBe(201);
  const loc = created.headers.get('location')!;
  expect((await kahu.post(`${loc}start`)).status).toBe(200);
  const id = Number(loc.match(/instance\/(\d+)/)![1]);
  const row = await stack.db.selectFrom('instances').select(['vm_id', 'host_id']).where('id', '=', id).executeTakeFirstOrThrow();
  return { id, loc, vmId: row.vm_id!, hostId: row.host_id! };
}

const instanceOf = async (loc: string) => (await kahu.get(loc)).json();

/** One supervisor round, then its follow-up operations to completion. */
async function superviseNow() {
  const round = await stack.runWorkflow(superviseInstances);
  const running = await stack.db.selectFrom('operations').select(['workflow_id', 'run_id']).where('workflow_type', '=', 'followInstanceVm').execute();
  await Promise.all(running.map((op) => stack.temporal.workflow.getHandle(op.workflow_id, op.run_id).result().catch(() => undefined)));
  return round;
}

describe('instance supervision', () => {
  it('a crashed VM puts its running instance in error with the reason, as an operation; a start brings it back', async () => {
    const { id, loc, vmId } = await runningInstance('sup-crash');
    expect(await superviseNow()).toMatchObject({ drift: 0 });

    await stack.cloud.crashVm(vmId, 'kernel panic');
    expect((await superviseNow()).drift).toBeGreaterThanOrEqual(1);
    expect(await instanceOf(loc)).toMatchObject({ state: 'error', error: 'kernel panic' });

    // The change is an operation on the instance, found by its resource like any other.
    const ops = await (await platformClient(stack).get(`/v1/operations?resource=instance/${id}`)).json();
    const follow = ops.operations.find((o: { type: string }) => o.type === 'followInstanceVm');
    expect(follow).toMatchObject({ status: 'completed', resource: { type: 'instance', id: `instance/${id}` } });
    expect(follow.summary).toMatch(/running → error: kernel panic/);

    // Started again: the VM reboots on its host, the instance runs.
    expect((await kahu.post(`${loc}start`)).status).toBe(200);
    expect(await instanceOf(loc)).toMatchObject({ state: 'running', error: null });
    expect((await stack.cloud.getVm(vmId)).state).toBe('running');
    expect(await superviseNow()).toMatchObject({ drift: 0 });
  });

  it('a host outage puts its instances in error; a start fails with 400 while the host is down and works once it is up', async () => {
    const { loc, hostId } = await runningInstance('sup-host');
    const host = await stack.cloud.hostDown(hostId);
    try {
      await superviseNow();
      const inst = await instanceOf(loc);
      expect(inst.state).toBe('error');
      expect(inst.error).toBe(`host ${host.name} is down`);
      const refused = await kahu.post(`${loc}start`);
      expect(refused.status).toBe(400);
      expect((await refused.json()).message).toMatch(/is down/);
      // The failed start's compensation powered the crashed VM off: the instance reads stopped, and
      // a second start while the host is still down is refused at once too.
      expect((await instanceOf(loc)).state).toBe('stopped');
      expect((await kahu.post(`${loc}start`)).status).toBe(400);
    } finally {
      await stack.cloud.hostUp(hostId);
    }
    expect((await kahu.post(`${loc}start`)).status).toBe(200);
    expect((await instanceOf(loc)).state).toBe('running');
  });

  it('a VM that vanished puts its instance in error; a VM started out of band puts a stopped instance back to running', async () => {
    const gone = await runningInstance('sup-vanish');
    await stack.cloud.deleteVm(gone.vmId);
    await superviseNow();
    expect(await instanceOf(gone.loc)).toMatchObject({ state: 'error', error: `VM ${gone.vmId} vanished from the cloud` });

    const other = await runningInstance('sup-oob');
    expect((await kahu.post(`${other.loc}stop`)).status).toBe(200);
    await stack.cloud.startVm(other.vmId);
    await waitFor(async () => ((await stack.cloud.getVm(other.vmId)).state === 'running' ? true : undefined));
    await superviseNow();
    expect((await instanceOf(other.loc)).state).toBe('running');
  });

  it('leaves instances alone while an operation holds them', async () => {
    const { loc, vmId } = await runningInstance('sup-busy');
    // A stop in flight (slow VM stop): the instance reads "stopping"; the supervisor does not touch it.
    await stack.cloud.addFaultRule({ operation: 'stopVm', resource: 'vm', probability: 1, mode: 'latency', latencyMs: 1500 });
    try {
      const stopping = kahu.post(`${loc}stop`, {}, { prefer: 'respond-async' });
      expect((await stopping).status).toBe(202);
      await stack.cloud.crashVm(vmId, 'crash during a stop');
      expect((await superviseNow()).drift).toBe(0);
    } finally {
      await stack.cloud.clearFaults();
    }
  });

  it('runs as a schedule created at worker start, every COMPUTE_SUPERVISE_INTERVAL_MS', async () => {
    const schedules: ScheduleHandle[] = await ensureReliabilitySchedules(stack.temporal, stack.config);
    try {
      const ids = schedules.map((s) => s.scheduleId.slice(stack.config.WORKFLOW_ID_PREFIX.length));
      expect(ids).toEqual(expect.arrayContaining(['compute/supervise', 'sweep/compute', 'sweep/runtimes']));
      const { loc, vmId } = await runningInstance('sup-scheduled');
      await stack.cloud.crashVm(vmId, 'crashed under the schedule');
      await waitFor(async () => ((await instanceOf(loc)).state === 'error' ? true : undefined), 30_000, 250);
      expect((await instanceOf(loc)).error).toBe('crashed under the schedule');
    } finally {
      for (const s of schedules) await s.delete().catch(() => {});
    }
  });
});
