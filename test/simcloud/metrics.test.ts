import { describe, expect, it } from 'vitest';
import { smallVm, token, useTestCloud, waitFor, failure } from './support';

const t = useTestCloud();

describe('load and metrics', () => {
  it('sets metric values of VMs and pods through the chaos API and reads them back', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm());
    const dep = await c.createDeployment({ clientToken: token('dep'), name: 'kms', image: 'kurento:6', replicas: 1, cpu: 1, memoryMb: 512 });
    const [pod] = await c.listPods({ deploymentId: dep.id });

    expect(await c.getMetrics([vm.id, pod!.id, 'vm-unknown'])).toEqual({ [vm.id]: { cpu: 0, capacity: 0 }, [pod!.id]: { cpu: 0, capacity: 0 } });
    expect(await c.setLoad(vm.id, 'cpu', 85.5)).toEqual({ cpu: 85.5, capacity: 0 });
    await c.setLoad(vm.id, 'capacity', 120);
    await c.setLoad(pod!.id, 'cpu', 10);
    expect(await c.getMetrics([vm.id, pod!.id])).toEqual({ [vm.id]: { cpu: 85.5, capacity: 120 }, [pod!.id]: { cpu: 10, capacity: 0 } });
    expect(await c.getMetrics([])).toEqual({});

    expect(await failure(c.setLoad('vm-unknown', 'cpu', 1))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await failure(c.setLoad(vm.id, 'cpu', -1))).toMatchObject({ code: 'invalid' });
    expect(await failure(c.setLoad(vm.id, 'memory' as 'cpu', 1))).toMatchObject({ code: 'invalid' });

    // Values of deleted objects are dropped.
    await c.deleteVm(vm.id);
    await c.deleteDeployment(dep.id);
    expect(await c.getMetrics([vm.id, pod!.id])).toEqual({});
    expect(await failure(c.setLoad(vm.id, 'cpu', 1))).toMatchObject({ code: 'not_found' });
  });

  it('health counts are live: deleted objects are not counted and used capacity returns', async () => {
    const c = t.client;
    const before = await c.health();
    const vm = await c.createVm(smallVm());
    const vol = await c.createVolume({ clientToken: token('vol'), name: 'v', sizeMb: 10 });
    const snap = await c.createSnapshot({ clientToken: token('snap'), vmId: vm.id, name: 's' });
    const dep = await c.createDeployment({ clientToken: token('dep'), name: 'w', image: 'x:1', replicas: 3, cpu: 0.5, memoryMb: 256 });
    expect(await c.health()).toMatchObject({
      vms: before.vms + 1,
      volumes: before.volumes + 1,
      snapshots: before.snapshots + 1,
      deployments: before.deployments + 1,
      pods: before.pods + 3,
      usedCpu: before.usedCpu + 2 + 1.5,
      usedMemoryMb: before.usedMemoryMb + 2048 + 768,
    });
    await c.deleteSnapshot(snap.id);
    await c.deleteVolume(vol.id);
    await c.deleteVm(vm.id);
    await c.deleteDeployment(dep.id);
    const after = await waitFor(() => c.health(), (h) => h.timers === before.timers);
    expect(after).toEqual(before);
  });
});
