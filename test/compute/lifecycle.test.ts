import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kahuSession, type KahuSession } from '../support/kahu';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: Stack;
let kahu: KahuSession;

beforeAll(async () => {
  stack = await startStack();
  kahu = await kahuSession(stack);
});
afterAll(async () => {
  await stack?.stop();
});

async function createInstance(fields: Record<string, string> = {}) {
  const res = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', ...fields });
  expect(res.status, await res.clone().text()).toBe(201);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/v0\/compute\/instance\/\d+\/$/);
  return { location, n: Number(location.split('/')[4]), body: await res.json() };
}

describe('Kahu quickstart through the API', () => {
  it('creates a stopped instance backed by exactly one VM', async () => {
    const { location, body, n } = await createInstance({ 'ssh-key': 'ssh-rsa AAAAB3NzaC1yc2E test@example' });
    expect(body).toMatchObject({
      message: 'instance created',
      profile: '/v0/compute/profile/debian-jessie-amd64/',
      size: '/v0/compute/size/1cpu256mb/',
      'ssh-key': 'ssh-rsa AAAAB3NzaC1yc2E test@example',
    });
    expect(body.operation).toMatch(/^\/v1\/operations\/[0-9a-f-]{36}$/);
    const got = await (await kahu.get(location)).json();
    expect(got).toMatchObject({ name: `instance-${n}`, state: 'stopped', size: '/v0/compute/size/1cpu256mb/' });
    const row = await stack.db.selectFrom('instances').selectAll().where('id', '=', n).executeTakeFirstOrThrow();
    const vm = await stack.cloud.getVm(row.vm_id!);
    expect(vm).toMatchObject({ state: 'stopped', cpu: 1, memoryMb: 256 });
    expect(vm.context.SSH_PUBLIC_KEY).toBe('ssh-rsa AAAAB3NzaC1yc2E test@example');
  });

  it('starts, gets an address, snapshots, adds storage, stops and deletes', async () => {
    const { location, n } = await createInstance({ name: 'web-1' });
    const start = await kahu.post(`${location}start`);
    expect(start.status).toBe(200);
    expect(await start.json()).toMatchObject({ message: 'instance started' });
    expect((await (await kahu.get(location)).json()).state).toBe('running');

    const address = await waitFor(async () => {
      const res = await kahu.get(`${location}network/default/address`);
      return res.status === 200 ? res.json() : undefined;
    });
    expect(address.IPv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const vol = await kahu.post(`${location}storage/`, { name: 'newvol', size: '16384' });
    expect(vol.status).toBe(201);
    expect(vol.headers.get('location')).toBe(`${location}storage/newvol/`);
    expect(await vol.json()).toEqual({ name: 'newvol', size: 16384 });
    const storage = await (await kahu.get(`${location}storage/`)).json();
    expect(Object.keys(storage)).toEqual(['root', 'config', 'newvol']);
    expect(storage.newvol).toMatchObject({ order: 2, size: 16384, 'guest-iface': 'virtio', 'media-type': 'disk', type: 'qcow2' });
    expect(storage.newvol['vdi-name']).toMatch(/^newvol_\d+_0$/);

    const snap = await kahu.post(`${location}snapshot/`, { name: 'mysnapshot-2014-12-22' });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('location')).toBe(`${location}snapshot/mysnapshot-2014-12-22/`);
    const snapshot = await (await kahu.get(`${location}snapshot/mysnapshot-2014-12-22`)).json();
    expect(snapshot).toMatchObject({ profile: '/v0/compute/profile/debian-jessie-amd64/', size: '/v0/compute/size/1cpu256mb/' });
    expect(Object.keys(snapshot.storage)).toContain('newvol');
    expect(new Date(snapshot.timestamp).toISOString()).toBe(snapshot.timestamp);

    const stop = await kahu.post(`${location}stop`);
    expect(stop.status).toBe(200);
    expect(await stop.json()).toMatchObject({ message: 'instance stopped' });
    expect((await kahu.get(`${location}network/default/address`)).status).toBe(404);

    const delVol = await kahu.delete(`${location}storage/newvol/`);
    expect(delVol.status).toBe(200);

    const row = await stack.db.selectFrom('instances').selectAll().where('id', '=', n).executeTakeFirstOrThrow();
    const del = await kahu.delete(location);
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ message: 'instance deleted' });
    expect((await kahu.get(location)).status).toBe(404);
    const vm = await stack.cloud.getVm(row.vm_id!).catch((err) => ({ state: err.code === 'not_found' ? 'deleted' : err.message }));
    expect(vm.state).toBe('deleted');
  });
});
