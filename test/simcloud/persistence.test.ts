import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, smallVm, startTestCloud, token, waitFor, type TestCloud } from './support';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestCloud | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await t?.sim.close();
  await db?.drop();
});

describe('restart persistence', () => {
  it('keeps objects, capacity, tokens and pending transitions across a restart', async () => {
    // Slow transitions so the VM is still building when the process stops.
    t = await startTestCloud(db.url, { transitionMs: 1500, jitterMs: 0, leaseDelayMs: 50 });
    let c = t.client;
    const hostsBefore = await c.listHosts();
    const req = smallVm();
    const vm = await c.createVm(req);
    const vol = await c.createVolume({ clientToken: token('vol'), name: 'd', sizeMb: 5 });
    await c.hostDown(hostsBefore[3]!.id);
    await t.sim.close();

    t = await startTestCloud(db.url, { transitionMs: 1500, jitterMs: 0, leaseDelayMs: 50 });
    c = t.client;
    const hostsAfter = await c.listHosts();
    expect(hostsAfter.map((h) => h.id)).toEqual(hostsBefore.map((h) => h.id)); // topology not re-created
    expect(hostsAfter[3]!.state).toBe('down');
    expect(await c.getHost(vm.hostId)).toMatchObject({ usedCpu: vm.cpu, usedMemoryMb: vm.memoryMb });
    expect((await c.createVm(req)).id).toBe(vm.id); // token survives
    expect((await c.getVm(vm.id)).state).toBe('building');
    // The re-armed timers finish the transitions started before the restart.
    await waitFor(() => c.getVm(vm.id), (v) => v.state === 'stopped', 6000);
    await waitFor(() => c.getVolume(vol.id), (v) => v.state === 'available', 6000);

    await c.startVm(vm.id);
    await t.sim.close();
    t = await startTestCloud(db.url, { transitionMs: 1500, jitterMs: 0, leaseDelayMs: 50 });
    c = t.client;
    expect((await c.getVm(vm.id)).state).toBe('starting');
    const running = await waitFor(() => c.getVm(vm.id), (v) => v.state === 'running' && v.addresses.ipv4 !== null, 6000);
    expect(running.addresses.ipv4).toMatch(/^10\./);
  });
});
