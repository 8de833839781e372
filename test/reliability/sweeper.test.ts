import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerMark } from '../../lib/inventory';
import { superviseInstances } from '../../workflows/compute';
import { sweepOrphans } from '../../workflows/sweep';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { createRuntime, srClient, waitForState } from '../runtimes/support';

/**
 * The orphan sweeper (issue 10): per domain, the database is compared with the cloud; a cloud
 * object carrying this deployment's mark that no row owns is removed once older than the grace
 * period, a row whose object vanished is removed (compute) or reported (runtimes: their supervisor
 * recreates it), and every removal is an operation (compute: VMs, volumes, snapshots). Objects without the mark — another tenant's,
 * another deployment's — are never touched.
 */
const GRACE_MS = 1500;
let stack: Stack;
let kahu: KahuSession;
let prefix: string;

beforeAll(async () => {
  // The runtime supervisor looks once, at its start, then not again during this file.
  process.env.RUNTIME_SUPERVISOR_INTERVAL_MS = '600000';
  stack = await startStack();
  kahu = await kahuSession(stack);
  prefix = stack.config.WORKFLOW_ID_PREFIX;
});
afterAll(async () => {
  await stack?.stop();
});

const sweep = (domain: string, graceMs = GRACE_MS) => stack.runWorkflow(sweepOrphans, { domain, graceMs });
const liveVmIds = async () => new Set((await stack.cloud.listVms()).map((vm) => vm.id));

/** A VM created behind the platform's back, looking like one of its own (or not). */
function vmBehindTheBack(name: string, context: Record<string, string>) {
  return stack.cloud.createVm({ clientToken: `${prefix}instance/${name}/run/vm`, name, cpu: 1, memoryMb: 128, diskMb: 1, context });
}

describe('orphan sweeper', () => {
  it('removes a marked VM no row owns once it is older than the grace period, as an operation; leaves it while young', async () => {
    const orphan = await vmBehindTheBack('orphan-1', ownerMark(prefix, { resourceType: 'instance', resourceId: '424242', projectId: 'demo' }));

    // Young (inside a grace period of a minute): reported, left alone — an in-flight create looks like this.
    const early = await sweep('compute', 60_000);
    expect(early.drift).toEqual([expect.objectContaining({ kind: 'orphan-object', cloudId: orphan.id, action: 'wait' })]);
    expect(early.started).toEqual([]);
    expect((await liveVmIds()).has(orphan.id)).toBe(true);

    await new Promise((r) => setTimeout(r, GRACE_MS + 100));
    const late = await sweep('compute');
    expect(late.drift).toEqual([expect.objectContaining({ kind: 'orphan-object', cloudId: orphan.id, action: 'remove' })]);
    expect(late.started).toHaveLength(1);
    const [operationId] = late.started;

    // The removal is an operation on vm/<id>: in /v1/operations and in Temporal, with its search attributes.
    const platform = platformClient(stack);
    const op = await waitFor(async () => {
      const o = await (await platform.get(`/v1/operations/${operationId}`)).json();
      return o.status === 'completed' ? o : undefined;
    });
    expect(op).toMatchObject({ type: 'removeOrphanVm', resource: { type: 'vm', id: `vm/${orphan.id}` }, projectId: 'demo' });
    expect(op.summary).toMatch(/orphan VM/);
    const listed = await (await platform.get(`/v1/operations?resource=vm/${orphan.id}`)).json();
    expect(listed.operations.map((o: { id: string }) => o.id)).toEqual([operationId]);
    const description = await stack.temporal.workflow.getHandle(op.workflowId, op.runId).describe();
    expect(description.searchAttributes).toMatchObject({ ResourceType: ['vm'], ResourceId: [`vm/${orphan.id}`] });

    expect((await liveVmIds()).has(orphan.id)).toBe(false);
    expect((await sweep('compute')).drift).toEqual([]);
  });

  it('never touches VMs without this deployment’s mark: unmarked, another deployment’s, another domain’s', async () => {
    const foreign = [
      await vmBehindTheBack('tenant-vm', { PURPOSE: 'someone else' }),
      await vmBehindTheBack('other-deployment', ownerMark('zz-other-', { resourceType: 'instance', resourceId: '7', projectId: 'demo' })),
      await vmBehindTheBack('malformed-mark', { PROVISIO_OWNER: `${prefix}instance` }),
    ];
    await new Promise((r) => setTimeout(r, GRACE_MS + 100));
    expect((await sweep('compute')).drift).toEqual([]);
    const live = await liveVmIds();
    for (const vm of foreign) expect(live.has(vm.id)).toBe(true);
    for (const vm of foreign) await stack.cloud.deleteVm(vm.id);
  });

  it('leaves the VMs of live instances alone, and removes an instance whose VM vanished once the grace period passed', async () => {
    const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'sweep-kept' });
    expect(created.status).toBe(201);
    const doomed = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'sweep-vanish' });
    const loc = doomed.headers.get('location')!;
    const id = Number(loc.match(/instance\/(\d+)/)![1]);
    const row = await stack.db.selectFrom('instances').select('vm_id').where('id', '=', id).executeTakeFirstOrThrow();
    await stack.cloud.deleteVm(row.vm_id!);

    // The supervisor records the loss first; the sweeper waits out the grace period from there.
    await stack.runWorkflow(superviseInstances);
    await waitFor(async () => ((await (await kahu.get(loc)).json()).state === 'error' ? true : undefined));
    expect((await sweep('compute')).drift).toEqual([expect.objectContaining({ kind: 'vanished-object', cloudId: row.vm_id, action: 'wait' })]);

    await new Promise((r) => setTimeout(r, GRACE_MS + 100));
    const report = await sweep('compute');
    expect(report.drift).toEqual([expect.objectContaining({ kind: 'vanished-object', owner: expect.objectContaining({ resourceId: String(id) }), action: 'remove' })]);
    expect(report.started).toHaveLength(1);
    await waitFor(async () => ((await kahu.get(loc)).status === 404 ? true : undefined));
    const ops = await (await platformClient(stack).get(`/v1/operations?resource=instance/${id}`)).json();
    expect(ops.operations[0]).toMatchObject({ type: 'deleteInstance', status: 'completed' });
    expect(ops.operations[0].summary).toMatch(/vanished/);
    expect((await kahu.get(created.headers.get('location')!)).status).toBe(200);
  });

  it('removes a marked volume and snapshot no row owns once older than the grace period, as operations; leaves unmarked and young ones', async () => {
    const mark = ownerMark(prefix, { resourceType: 'instance', resourceId: '535353', projectId: 'demo' });
    const tenantVm = await vmBehindTheBack('tenant-vm-for-parts', { PURPOSE: 'someone else' });
    const orphanVolume = await stack.cloud.createVolume({ clientToken: `${prefix}sweep-orphan-volume`, name: 'orphan-volume', sizeMb: 16, vmId: tenantVm.id, labels: mark });
    const orphanSnapshot = await stack.cloud.createSnapshot({ clientToken: `${prefix}sweep-orphan-snapshot`, vmId: tenantVm.id, name: 'orphan-snapshot', labels: mark });
    const unmarked = await stack.cloud.createVolume({ clientToken: `${prefix}sweep-unmarked-volume`, name: 'tenant-volume', sizeMb: 16, labels: { PURPOSE: 'someone else' } });
    await new Promise((r) => setTimeout(r, GRACE_MS + 100));
    const young = await stack.cloud.createVolume({ clientToken: `${prefix}sweep-young-volume`, name: 'young-volume', sizeMb: 16, labels: mark });

    const report = await sweep('compute');
    expect(report.drift).toHaveLength(3);
    expect(report.drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'orphan-object', objectKind: 'volume', cloudId: orphanVolume.id, action: 'remove' }),
        expect.objectContaining({ kind: 'orphan-object', objectKind: 'snapshot', cloudId: orphanSnapshot.id, action: 'remove' }),
        expect.objectContaining({ kind: 'orphan-object', objectKind: 'volume', cloudId: young.id, action: 'wait' }),
      ]),
    );
    expect(report.started).toHaveLength(2);

    // Each removal is an operation on volume/<id> or snapshot/<id>.
    const platform = platformClient(stack);
    const ops = await Promise.all(
      report.started.map((id) =>
        waitFor(async () => {
          const o = await (await platform.get(`/v1/operations/${id}`)).json();
          return o.status === 'completed' ? o : undefined;
        }),
      ),
    );
    expect(ops.map((o) => o.resource.id).sort()).toEqual([`snapshot/${orphanSnapshot.id}`, `volume/${orphanVolume.id}`]);
    for (const op of ops) expect(op).toMatchObject({ type: 'removeOrphanObject', projectId: 'demo', summary: expect.stringMatching(/^Remove orphan (volume|snapshot)/) });

    expect((await stack.cloud.getVolume(orphanVolume.id)).state).toBe('deleted');
    expect((await stack.cloud.getSnapshot(orphanSnapshot.id)).state).toBe('deleted');
    expect((await stack.cloud.getVolume(unmarked.id)).state).not.toBe('deleted');
    expect((await stack.cloud.getVolume(young.id)).state).not.toBe('deleted');
    for (const id of [unmarked.id, young.id]) await stack.cloud.deleteVolume(id);
    await stack.cloud.deleteVm(tenantVm.id);
  });

  it('marks the volumes and snapshots Kahu creates with their instance, and leaves those of a live instance alone', async () => {
    const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'sweep-parts' });
    const loc = created.headers.get('location')!;
    const id = Number(loc.match(/instance\/(\d+)/)![1]);
    expect((await kahu.post(`${loc}storage/`, { name: 'data', size: '16' })).status).toBe(201);
    expect((await kahu.post(`${loc}snapshot/`, { name: 'nightly' })).status).toBe(200);
    const volume = await stack.db.selectFrom('instance_volumes').select('cloud_volume_id').where('instance_id', '=', id).where('name', '=', 'data').executeTakeFirstOrThrow();
    const snapshot = await stack.db.selectFrom('instance_snapshots').select('cloud_snapshot_id').where('instance_id', '=', id).executeTakeFirstOrThrow();
    const owner = { PROVISIO_OWNER: `${prefix}instance/${id}` };
    expect((await stack.cloud.getVolume(volume.cloud_volume_id!)).labels).toMatchObject(owner);
    expect((await stack.cloud.getSnapshot(snapshot.cloud_snapshot_id!)).labels).toMatchObject(owner);

    const report = await sweep('compute', 0);
    expect(report.drift).toEqual([]);
    expect(report.expected).toBeGreaterThanOrEqual(3); // the VM, the volume and the snapshot
  });

  it('covers runtimes: a live runtime is no drift; an orphan runtime VM is removed; a vanished function VM is only reported', async () => {
    const sr = srClient(stack);
    const runtime = await createRuntime(sr, { FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} });
    await waitForState(sr, runtime.ID, 'RUNNING');
    expect((await sweep('runtimes', 0)).drift).toEqual([]);

    const orphan = await stack.cloud.createVm({
      clientToken: `${prefix}runtime/9999/run/vm-FAAS`,
      name: 'sr-9999-faas',
      cpu: 1,
      memoryMb: 128,
      diskMb: 1,
      context: ownerMark(prefix, { resourceType: 'runtime', resourceId: '9999', projectId: 'demo' }),
    });
    const report = await sweep('runtimes', 0);
    expect(report.drift).toEqual([expect.objectContaining({ kind: 'orphan-object', cloudId: orphan.id, action: 'remove' })]);
    await waitFor(async () => ((await liveVmIds()).has(orphan.id) ? undefined : true));

    // The runtime's VM was created with the mark; gone out of band, it is its supervisor's to recreate.
    const fn = await stack.db.selectFrom('runtime_functions').select('cloud_vm_id').where('runtime_id', '=', runtime.ID).executeTakeFirstOrThrow();
    expect((await stack.cloud.getVm(fn.cloud_vm_id!)).context).toMatchObject({ PROVISIO_OWNER: `${prefix}runtime/${runtime.ID}` });
    await stack.cloud.deleteVm(fn.cloud_vm_id!);
    const vanished = await sweep('runtimes', 0);
    expect(vanished.drift).toEqual([expect.objectContaining({ kind: 'vanished-object', cloudId: fn.cloud_vm_id, action: 'report' })]);
    expect(vanished.drift[0]!.detail).toMatch(/supervisor/);
    expect(vanished.started).toEqual([]);
  });
});
