import { describe, expect, it } from 'vitest';
import type { CloudError } from '../../cloud/contract';
import { chooseHost, type PlacementHost } from '../../cloud/simcloud/hosts/placement';
import { smallVm, waitFor, useTestCloud, failure } from './support';

// Transitions long enough to act while a VM is building, even on a loaded machine.
const t = useTestCloud({ transitionMs: 600 });


describe('placement', () => {
  it('places on the requested host, or answers capacity when it has no room', async () => {
    const c = t.client;
    const [host] = await c.listHosts({ region: 'region-1' });
    const vm = await c.createVm(smallVm({ hostId: host!.id }));
    expect(vm.hostId).toBe(host!.id);
    const before = await c.getHost(host!.id);
    const err = await failure(c.createVm(smallVm({ hostId: host!.id, cpu: 999 })));
    expect(err).toMatchObject({ code: 'capacity', status: 409, retryable: false });
    expect(await c.getHost(host!.id)).toEqual(before); // nothing left behind
    expect((await failure(c.createVm(smallVm({ hostId: 'host-404' }))))?.code).toBe('not_found');
  });

  it('honours requirements and rank, and fails with capacity when nothing matches', async () => {
    const c = t.client;
    const us = await c.createVm(smallVm({ requirements: { GEO: 'US' } }));
    expect((await c.getHost(us.hostId)).labels.GEO).toBe('US');
    const ranked = await c.createVm(smallVm({ region: 'region-1', rank: 'LATENCY' }));
    const hosts = await c.listHosts({ region: 'region-1' });
    const lowest = hosts.reduce((a, b) => (Number(a.labels.LATENCY) <= Number(b.labels.LATENCY) ? a : b));
    expect(ranked.hostId).toBe(lowest.id);

    const vmsBefore = (await c.listVms()).length;
    const tokenVm = smallVm({ requirements: { GEO: 'MARS' } });
    expect((await failure(c.createVm(tokenVm)))?.code).toBe('capacity');
    expect((await c.listVms()).length).toBe(vmsBefore);
    // The token was not consumed by the failure: the same token can succeed later.
    const ok = await c.createVm({ ...tokenVm, requirements: { GEO: 'EU' } });
    expect(ok.state).toBe('building');
  });

  it('keeps capacity exact under concurrent creates', async () => {
    const c = t.client;
    const [host] = await c.addHosts({ region: 'region-3', cpu: 10, memoryMb: 10_000, diskMb: 100_000, labels: { POOL: 'tight' } });
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => c.createVm(smallVm({ region: 'region-3', cpu: 1, memoryMb: 1000, diskMb: 1000 }))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const capacityErrors = results.filter((r) => r.status === 'rejected' && (r.reason as CloudError).code === 'capacity');
    expect(ok.length).toBe(10);
    expect(capacityErrors.length).toBe(15);
    const h = await c.getHost(host!.id);
    expect(h).toMatchObject({ usedCpu: 10, usedMemoryMb: 10_000, usedDiskMb: 10_000 });
    expect((await c.listVms({ hostId: host!.id })).length).toBe(10);
  });
});

describe('resize and migrate', () => {
  it('resizes within the host free capacity and moves accounting on migrate', async () => {
    const c = t.client;
    const [a, b] = await c.addHosts({ region: 'region-4', count: 2, cpu: 8, memoryMb: 16_000, diskMb: 50_000, labels: { GEO: 'EU' } });
    const vm = await c.createVm(smallVm({ hostId: a!.id, cpu: 2, memoryMb: 4000, diskMb: 10_000 }));
    expect((await failure(c.updateVm(vm.id, { cpu: 4 })))?.code).toBe('conflict'); // still building
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'stopped');
    await c.startVm(vm.id);
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running');

    const grown = await c.updateVm(vm.id, { cpu: 6, memoryMb: 8000, diskMb: 20_000, name: 'renamed', context: { PASSWORD_REF: 'secret/1' } });
    expect(grown).toMatchObject({ cpu: 6, memoryMb: 8000, diskMb: 20_000, name: 'renamed', state: 'running' });
    expect(grown.context.PASSWORD_REF).toBe('secret/1');
    expect(await c.getHost(a!.id)).toMatchObject({ usedCpu: 6, usedMemoryMb: 8000, usedDiskMb: 20_000 });
    expect((await failure(c.updateVm(vm.id, { cpu: 9 })))?.code).toBe('capacity');
    expect((await failure(c.updateVm(vm.id, { diskMb: 100 })))?.code).toBe('invalid'); // disks only grow
    expect((await c.getVm(vm.id)).cpu).toBe(6);

    const moved = await c.migrateVm(vm.id, {}); // the only other matching host in the region
    expect(moved).toMatchObject({ hostId: b!.id, state: 'running' });
    expect(await c.getHost(a!.id)).toMatchObject({ usedCpu: 0, usedMemoryMb: 0, usedDiskMb: 0 });
    expect(await c.getHost(b!.id)).toMatchObject({ usedCpu: 6, usedMemoryMb: 8000, usedDiskMb: 20_000 });

    await c.createVm(smallVm({ hostId: a!.id, cpu: 4 }));
    expect((await failure(c.migrateVm(vm.id, { hostId: a!.id })))?.code).toBe('capacity');
    expect((await c.getVm(vm.id)).hostId).toBe(b!.id);
    expect((await failure(c.migrateVm(vm.id, { requirements: { GEO: 'US' } })))?.code).toBe('capacity');
  });
});

describe('chooseHost (pure)', () => {
  const host = (index: number, labels: Record<string, string>, usedMemoryMb = 0, state: 'up' | 'down' = 'up'): PlacementHost => ({
    id: `h${index}`, index, state, cpu: 8, memoryMb: 100, diskMb: 100,
    used: { milliCpu: 0, memoryMb: usedMemoryMb, diskMb: 0 }, labels,
  });
  const need = { milliCpu: 1000, memoryMb: 10, diskMb: 10 };

  it('prefers most free memory, then lowest index; skips down and full hosts', () => {
    const hosts = [host(0, {}, 50), host(1, {}, 20), host(2, {}, 20), host(3, {}, 0, 'down'), host(4, {}, 95)];
    expect(chooseHost(hosts, need)?.id).toBe('h1');
  });

  it('ranks by label numerically ascending, hosts without the label last', () => {
    const hosts = [host(0, { LATENCY: '10' }), host(1, {}), host(2, { LATENCY: '9' }, 80)];
    expect(chooseHost(hosts, need, { rank: 'LATENCY' })?.id).toBe('h2');
    expect(chooseHost(hosts, need, { requirements: { LATENCY: '10' } })?.id).toBe('h0');
    expect(chooseHost(hosts, need, { requirements: { GEO: 'EU' } })).toBeNull();
  });
});
