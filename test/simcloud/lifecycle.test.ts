import { describe, expect, it } from 'vitest';
import { CloudError } from '../../cloud/contract';
import { smallVm, token, waitFor, useTestCloud } from './support';

// Transitions long enough to act while a VM is building, even on a loaded machine.
const t = useTestCloud({ transitionMs: 600, leaseDelayMs: 600 });

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: CloudError) => e.code);

describe('VM lifecycle', () => {
  it('builds into stopped, starts into running, gets addresses, stops and loses them', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm({ context: { SSH_PUBLIC_KEY: 'ssh-ed25519 AAA' } }));
    expect(vm.state).toBe('building');
    expect(vm.context.SSH_PUBLIC_KEY).toBe('ssh-ed25519 AAA');
    expect(await codeOf(c.startVm(vm.id))).toBe('conflict');

    const stopped = await waitFor(() => c.getVm(vm.id), (v) => v.state !== 'building');
    expect(stopped.state).toBe('stopped'); // a new VM does not auto-start
    expect((await c.stopVm(vm.id)).state).toBe('stopped'); // no-op

    const starting = await c.startVm(vm.id, { CONSOLE: 'vnc' });
    expect(starting.state).toBe('starting');
    expect(starting.settings.CONSOLE).toBe('vnc');
    const running = await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running');
    expect(running.addresses.ipv4).toBeNull(); // the lease comes later
    expect((await c.startVm(vm.id)).state).toBe('running'); // no-op

    const leased = await waitFor(() => c.getVm(vm.id), (v) => v.addresses.ipv4 !== null);
    expect(leased.addresses.ipv4).toMatch(/^10\./);
    expect(leased.addresses.ipv6).toMatch(/^fd00:/);
    expect(leased.addresses.external).toMatch(/^100\./);

    expect((await c.stopVm(vm.id)).state).toBe('stopping');
    const down = await waitFor(() => c.getVm(vm.id), (v) => v.state === 'stopped');
    expect(down.addresses).toEqual({ ipv4: null, ipv6: null, external: null });
  });

  it('deletes idempotently and releases capacity', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm());
    const before = await c.getHost(vm.hostId);
    await c.deleteVm(vm.id);
    await c.deleteVm(vm.id);
    await c.deleteVm('vm-unknown');
    expect((await c.getVm(vm.id)).state).toBe('deleted');
    const after = await c.getHost(vm.hostId);
    expect(after.usedCpu).toBe(before.usedCpu - vm.cpu);
    expect((await c.listVms()).some((v) => v.id === vm.id)).toBe(false);
    expect(await codeOf(c.startVm(vm.id))).toBe('not_found');
    expect(await codeOf(c.getVm('vm-unknown'))).toBe('not_found');
  });

  it('crash puts a VM in error; reboot brings it back', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm());
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'stopped');
    await c.startVm(vm.id);
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running' && v.addresses.ipv4 !== null);
    const crashed = await c.crashVm(vm.id);
    expect(crashed).toMatchObject({ state: 'error', error: 'crashed', addresses: { ipv4: null } });
    expect(await codeOf(c.startVm(vm.id))).toBe('conflict');
    expect((await c.rebootVm(vm.id)).state).toBe('starting');
    const back = await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running');
    expect(back.error).toBeNull();
  });

  it('host down fails every VM on it; reboot is refused until the host is up', async () => {
    const c = t.client;
    const [host] = await c.listHosts({ region: 'region-2' });
    const a = await c.createVm(smallVm({ hostId: host!.id }));
    const b = await c.createVm(smallVm({ hostId: host!.id }));
    for (const id of [a.id, b.id]) await waitFor(() => c.getVm(id), (v) => v.state === 'stopped');
    await c.startVm(a.id);
    expect((await c.hostDown(host!.id)).state).toBe('down');
    for (const id of [a.id, b.id]) {
      const vm = await c.getVm(id);
      expect(vm.state).toBe('error');
      expect(vm.error).toBe(`host ${host!.name} is down`);
    }
    expect(await codeOf(c.rebootVm(a.id))).toBe('conflict');
    expect(await codeOf(c.createVm(smallVm({ hostId: host!.id })))).toBe('capacity');
    await c.hostUp(host!.id);
    expect((await c.getVm(a.id)).state).toBe('error'); // host up does not restart VMs
    await c.rebootVm(a.id);
    await waitFor(() => c.getVm(a.id), (v) => v.state === 'running');
  });

  it('listVms filters by host and state', async () => {
    const c = t.client;
    const [, host] = await c.listHosts({ region: 'region-1' });
    const vm = await c.createVm(smallVm({ hostId: host!.id }));
    const onHost = await c.listVms({ hostId: host!.id });
    expect(onHost.map((v) => v.id)).toContain(vm.id);
    expect(onHost.every((v) => v.hostId === host!.id)).toBe(true);
    const building = await c.listVms({ state: 'building' });
    expect(building.every((v) => v.state === 'building')).toBe(true);
  });
});

describe('volumes and snapshots', () => {
  it('creates, attaches, detaches and deletes volumes', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm());
    const vol = await c.createVolume({ clientToken: token('vol'), name: 'data', sizeMb: 1024 });
    expect(vol.state).toBe('creating');
    expect(await codeOf(c.attachVolume(vol.id, vm.id))).toBe('conflict');
    await waitFor(() => c.getVolume(vol.id), (v) => v.state === 'available');
    expect(await c.attachVolume(vol.id, vm.id)).toMatchObject({ state: 'attached', vmId: vm.id });
    expect(await c.detachVolume(vol.id)).toMatchObject({ state: 'available', vmId: null });

    // An uploaded image keeps its size; created with vmId it ends up attached.
    const image = Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(3 * 1024 * 1024)]);
    const img = await c.createVolume({ clientToken: token('vol'), name: 'img', contentBase64: image.toString('base64'), vmId: vm.id });
    expect(img).toMatchObject({ sizeMb: 4, format: 'qcow2' });
    await waitFor(() => c.getVolume(img.id), (v) => v.state === 'attached');

    const snap = await c.createSnapshot({ clientToken: token('snap'), vmId: vm.id, name: 's1' });
    expect(snap).toMatchObject({ state: 'creating', vm: { cpu: vm.cpu, memoryMb: vm.memoryMb, volumes: [img.id] } });
    await waitFor(() => c.getSnapshot(snap.id), (s) => s.state === 'available');

    await c.deleteVm(vm.id); // releases attached volumes
    expect(await c.getVolume(img.id)).toMatchObject({ state: 'available', vmId: null });
    await c.deleteVolume(vol.id);
    await c.deleteVolume(vol.id);
    await c.deleteSnapshot(snap.id);
    await c.deleteSnapshot('snap-unknown');
    expect((await c.getSnapshot(snap.id)).state).toBe('deleted');
    expect(await codeOf(c.createVolume({ clientToken: token('vol'), name: 'x', sizeMb: 1, vmId: vm.id }))).toBe('not_found');
  });
});
