import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, kahuSession, urlencoded, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { syncHypervisors } from '../../workflows/compute';

let stack: Stack;
let kahu: KahuSession;
let running: string; // an instance that runs
let stopped: string; // an instance that is stopped

const count = async (table: 'instances' | 'instance_volumes' | 'instance_snapshots' | 'operations') =>
  Number((await stack.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Every table a compute request could touch, to prove a rejected request changed nothing. */
const snapshotState = async () => ({
  instances: await count('instances'),
  volumes: await count('instance_volumes'),
  snapshots: await count('instance_snapshots'),
  operations: await count('operations'),
  vms: (await stack.cloud.listVms()).length,
});

async function expectRejected(res: Response, status: number, messagePattern: RegExp, before: Awaited<ReturnType<typeof snapshotState>>) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(typeof body.error).toBe('string');
  expect(body.message).toMatch(messagePattern);
  expect(await snapshotState()).toEqual(before);
}

beforeAll(async () => {
  stack = await startStack();
  kahu = await kahuSession(stack);
  const a = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'runner' });
  running = a.headers.get('location')!;
  expect((await kahu.post(`${running}start`)).status).toBe(200);
  const b = await kahu.post('/v0/compute/instance/', { profile: 'debian-jessie-amd64', size: '1cpu256mb', name: 'sleeper' });
  stopped = b.headers.get('location')!;
});
afterAll(async () => {
  await stack?.stop();
});

describe('sessions', () => {
  it('refuses requests without a session, with a bad one, and after logout', async () => {
    expect((await stack.request('/v0/compute/instance/')).status).toBe(401);
    expect((await stack.request('/v0/compute/instance/', { headers: { cookie: 'KAHU_SESSION_TOKEN=pvo_nope' } })).status).toBe(401);
    const other = await kahuSession(stack);
    expect((await other.get('/v0/compute/instance/')).status).toBe(200);
    const out = await other.post('/v0/auth/logout');
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/KAHU_SESSION_TOKEN=;/);
    expect((await other.get('/v0/compute/instance/')).status).toBe(401);
  });

  it('answers a bad login with 401 and a missing field with 400 naming it', async () => {
    const wrong = await stack.request('/v0/auth/login', { method: 'POST', body: form({ role: 'admin', password: 'nope' }) });
    expect(wrong.status).toBe(401);
    const missing = await stack.request('/v0/auth/login', { method: 'POST', body: form({ password: 'admin' }) });
    expect(missing.status).toBe(400);
    expect((await missing.json()).message).toMatch(/^role: /);
    const encoded = await stack.request('/v0/auth/login', { method: 'POST', ...urlencoded({ role: 'admin', password: 'admin' }) });
    expect(encoded.status).toBe(200);
    const body = await encoded.json();
    expect(body.session).toMatch(/^pvo_/);
    expect(body.uri).toBe('/v0/tenant/demo/');
  });

  it('changes a password: wrong current is 401, the new one works, the old one no longer does', async () => {
    const platform = platformClient(stack);
    expect((await platform.post('/v1/users', { username: 'carol', password: 'carol-pass', defaultProjectId: 'demo' })).status).toBe(201);
    const carol = await kahuSession(stack, 'carol', 'carol-pass');
    expect((await carol.post('/v0/auth/password', { 'current-password': 'wrong', password: 'new-pass-1' })).status).toBe(401);
    const missing = await carol.post('/v0/auth/password', { password: 'new-pass-1' });
    expect(missing.status).toBe(400);
    expect((await missing.json()).message).toMatch(/^current-password: /);
    expect((await carol.post('/v0/auth/password', { 'current-password': 'carol-pass', password: 'new-pass-1' })).status).toBe(200);
    await expect(kahuSession(stack, 'carol', 'carol-pass')).rejects.toThrow(/401/);
    await kahuSession(stack, 'carol', 'new-pass-1');
  });
});

describe('instance create: every field', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing profile', { size: '1cpu256mb' }, /^profile: /],
    ['missing size', { profile: 'empty' }, /^size: /],
    ['unknown profile', { profile: 'windows-95', size: '1cpu256mb' }, /^profile: unknown profile/],
    ['unknown size', { profile: 'empty', size: 'huge' }, /^size: unknown size/],
    ['malformed hypervisor', { profile: 'empty', size: '1cpu256mb', hypervisor: 'the-big-one' }, /^hypervisor: /],
    ['unknown hypervisor', { profile: 'empty', size: '1cpu256mb', hypervisor: '/v0/hypervisor/instance/4242' }, /^hypervisor: /],
    ['bad ssh-key', { profile: 'empty', size: '1cpu256mb', 'ssh-key': 'not a key' }, /^ssh-key: /],
    ['bad name', { profile: 'empty', size: '1cpu256mb', name: 'has spaces!' }, /^name: /],
  ];
  it.each(cases)('%s → 400 naming the field, nothing changed', async (_label, fields, pattern) => {
    const before = await snapshotState();
    await expectRejected(await kahu.post('/v0/compute/instance/', fields), 400, pattern, before);
  });

  it('a JSON body is not a form → 415', async () => {
    const before = await snapshotState();
    const res = await kahu.request('/v0/compute/instance/', {
      method: 'POST',
      body: JSON.stringify({ profile: 'empty', size: '1cpu256mb' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(415);
    expect((await res.json()).error).toBe('unsupported_media_type');
    expect(await snapshotState()).toEqual(before);
  });

  it('accepts the ssh key as an uploaded file, as curl -F ssh-key=@id_rsa.pub sends it', async () => {
    const key = new File(['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@laptop\n'], 'id_rsa.pub');
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', 'ssh-key': key });
    expect(res.status).toBe(201);
    expect((await res.json())['ssh-key']).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me@laptop');
    expect((await kahu.delete(res.headers.get('location')!)).status).toBe(200);
  });
});

describe('instance state guards and lookups', () => {
  it('start of a running instance → 400; stop of a stopped one → 400; delete of a running one → 400', async () => {
    const before = await snapshotState();
    await expectRejected(await kahu.post(`${running}start`), 400, /already running/, before);
    await expectRejected(await kahu.post(`${stopped}stop`), 400, /already stopped/, before);
    await expectRejected(await kahu.delete(running), 400, /must be stopped/, before);
  });

  it('unknown instance → 404; a non-number → 400', async () => {
    expect((await kahu.get('/v0/compute/instance/987654')).status).toBe(404);
    expect((await kahu.post('/v0/compute/instance/987654/start')).status).toBe(404);
    const bad = await kahu.get('/v0/compute/instance/abc');
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/^n: /);
  });

  it('items answer with and without the trailing slash; tenant-scoped paths reach the same instance', async () => {
    const n = stopped.split('/')[4];
    expect((await kahu.get(`/v0/compute/instance/${n}`)).status).toBe(200);
    expect((await kahu.get(`/v0/compute/instance/${n}/`)).status).toBe(200);
    const viaTenant = await kahu.get(`/v0/tenant/demo/compute/instance/${n}/`);
    expect(viaTenant.status).toBe(200);
    expect((await viaTenant.json()).uri).toBe(`/v0/tenant/demo/compute/instance/${n}/`);
    const list = await (await kahu.get('/v0/tenant/demo/compute/instance/')).json();
    expect(Object.keys(list)).toContain(n);
  });

  it('the address is 404 while stopped or for an unknown interface', async () => {
    expect((await kahu.get(`${stopped}network/default/address`)).status).toBe(404);
    expect((await kahu.get(`${running}network/eth9/address`)).status).toBe(404);
  });
});

describe('cross-project access looks like 404', () => {
  it("another project's instance does not exist for a non-member", async () => {
    const platform = platformClient(stack);
    expect((await platform.post('/v1/projects', { id: 'acme', name: 'Acme' })).status).toBe(201);
    expect((await platform.post('/v1/users', { username: 'alice', password: 'alice-pass', defaultProjectId: 'acme' })).status).toBe(201);
    expect((await platform.post('/v1/projects/acme/members', { username: 'alice', role: 'member' })).status).toBe(201);
    const alice = await kahuSession(stack, 'alice', 'alice-pass');
    const n = stopped.split('/')[4];
    expect((await alice.get(`/v0/compute/instance/${n}`)).status).toBe(404);
    expect((await alice.get(`/v0/tenant/demo/compute/instance/${n}`)).status).toBe(404);
    expect((await alice.post(`/v0/tenant/demo/compute/instance/${n}/start`)).status).toBe(404);
    expect((await alice.get('/v0/tenant/demo/compute/instance/')).status).toBe(404);
    expect(await (await alice.get('/v0/compute/instance/')).json()).toEqual({});
    // And their operations are invisible too.
    const op = await stack.db.selectFrom('operations').select('id').where('project_id', '=', 'demo').executeTakeFirstOrThrow();
    expect((await platformClient(stack, 'alice', 'alice-pass').get(`/v1/operations/${op.id}`)).status).toBe(404);
    // Nor may a member add catalog entries.
    expect((await alice.post('/v0/compute/size/', { name: 'tiny', ncpu: '1', memory: '128' })).status).toBe(403);
  });
});

describe('storage: every field', () => {
  const cases: Array<[string, Record<string, string | Blob>, RegExp]> = [
    ['missing name', { size: '10' }, /^name: /],
    ['neither size nor file', { name: 'v1' }, /^size: /],
    ['size and file', { name: 'v1', size: '10', file: new File(['x'], 'x.img') }, /^file: .*mutually exclusive/],
    ['size not a number', { name: 'v1', size: 'big' }, /^size: /],
    ['size zero', { name: 'v1', size: '0' }, /^size: /],
    ['bad bootable', { name: 'v1', size: '10', bootable: 'maybe' }, /^bootable: /],
    ['bad media-type', { name: 'v1', size: '10', 'media-type': 'floppy' }, /^media-type: /],
    ['bad guest-iface', { name: 'v1', size: '10', 'guest-iface': 'sata' }, /^guest-iface: /],
    ['bad type', { name: 'v1', size: '10', type: 'vmdk' }, /^type: /],
    ['type qcow2 on a raw file', { name: 'v1', file: new File(['raw bytes'], 'disk.img'), type: 'qcow2' }, /^file: not a qcow2/],
    ['duplicate of root', { name: 'root', size: '10' }, /already has a volume named 'root'/],
  ];
  it.each(cases)('%s → 4xx naming the field, nothing changed', async (label, fields, pattern) => {
    const before = await snapshotState();
    const status = label.startsWith('duplicate') ? 409 : 400;
    await expectRejected(await kahu.post(`${stopped}storage/`, fields), status, pattern, before);
  });

  it('imports an uploaded qcow2 image at its virtual size, and a raw one at its file size', async () => {
    const header = Buffer.alloc(64);
    Buffer.from([0x51, 0x46, 0x49, 0xfb]).copy(header, 0);
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(BigInt(2048) * 1024n * 1024n, 24); // 2 GiB virtual size
    const qcow = await kahu.post(`${stopped}storage/`, { name: 'imported', file: new File([header], 'disk.qcow2'), 'media-type': 'disk' });
    expect(qcow.status, await qcow.clone().text()).toBe(201);
    expect(await qcow.json()).toEqual({ name: 'imported', size: 2048 });
    const raw = await kahu.post(`${stopped}storage/`, { name: 'iso', file: new File([Buffer.alloc(3 * 1024 * 1024)], 'boot.iso'), 'media-type': 'cdrom', 'guest-iface': 'ide' });
    expect(raw.status).toBe(201);
    const storage = await (await kahu.get(`${stopped}storage/`)).json();
    expect(storage.imported).toMatchObject({ size: 2048, type: 'qcow2', order: 2 });
    expect(storage.iso).toMatchObject({ size: 3, type: 'raw', 'media-type': 'cdrom', 'guest-iface': 'ide', order: 3 });
    // The upload is consumed once the volume exists.
    expect(await stack.db.selectFrom('uploads').selectAll().execute()).toEqual([]);
  });

  it('root and config cannot be deleted; unknown volumes are 404', async () => {
    const before = await snapshotState();
    await expectRejected(await kahu.delete(`${stopped}storage/root`), 400, /cannot be deleted/, before);
    await expectRejected(await kahu.delete(`${stopped}storage/config/`), 400, /cannot be deleted/, before);
    await expectRejected(await kahu.delete(`${stopped}storage/nope`), 404, /no volume/, before);
    expect((await kahu.get(`${stopped}storage/nope`)).status).toBe(404);
    const root = await (await kahu.get(`${stopped}storage/root`)).json();
    expect(root).toMatchObject({ bootable: true, order: 0, size: 16384, 'vdi-name': expect.stringMatching(/^root_\d+_0$/) });
  });
});

describe('snapshots', () => {
  it('missing or bad name → 400; duplicate → 409; unknown → 404', async () => {
    const before = await snapshotState();
    await expectRejected(await kahu.post(`${stopped}snapshot/`, {}), 400, /^name: /, before);
    await expectRejected(await kahu.post(`${stopped}snapshot/`, { name: 'a b' }), 400, /^name: /, before);
    expect((await kahu.post(`${stopped}snapshot/`, { name: 'snap-1' })).status).toBe(200);
    const after = await snapshotState();
    await expectRejected(await kahu.post(`${stopped}snapshot/`, { name: 'snap-1' }), 409, /already has a snapshot/, after);
    expect((await kahu.get(`${stopped}snapshot/nope`)).status).toBe(404);
    expect(Object.keys(await (await kahu.get(`${stopped}snapshot/`)).json())).toEqual(['snap-1']);
  });
});

describe('hw and console settings', () => {
  it('are refused while running and on bad values, and applied at the next start', async () => {
    const before = await snapshotState();
    await expectRejected(await kahu.put(`${running}hw/`, { 'rtc-clock': 'vm' }), 400, /must be stopped/, before);
    await expectRejected(await kahu.put(`${stopped}hw/`, { 'rtc-clock': 'moon' }), 400, /^rtc-clock: /, before);
    await expectRejected(await kahu.put(`${stopped}hw/`, { 'rtc-driftfix': 'fast' }), 400, /^rtc-driftfix: /, before);
    await expectRejected(await kahu.put(`${stopped}hw/`, { 'hyperv-compat': 'perhaps' }), 400, /^hyperv-compat: /, before);
    await expectRejected(await kahu.put(`${stopped}hw/`, { 'rtc-base': 'yesterday' }), 400, /^rtc-base: /, before);
    await expectRejected(await kahu.put(`${stopped}hw/`, {}), 400, /at least one/, before);
    await expectRejected(await kahu.put(`${stopped}console/`, { pointer: 'trackball' }), 400, /^pointer: /, before);

    expect((await kahu.put(`${stopped}hw/`, { 'rtc-clock': 'vm', 'hyperv-compat': 'true' })).status).toBe(200);
    expect((await kahu.put(`${stopped}console/`, { pointer: 'usb-tablet' })).status).toBe(200);
    const instance = await (await kahu.get(stopped)).json();
    expect(instance.hw).toEqual({ 'rtc-clock': 'vm', 'hyperv-compat': 'true' });
    expect(instance.console).toEqual({ pointer: 'usb-tablet' });
    expect((await kahu.post(`${stopped}start`)).status).toBe(200);
    const row = await stack.db.selectFrom('instances').select('vm_id').where('name', '=', 'sleeper').executeTakeFirstOrThrow();
    const vm = await stack.cloud.getVm(row.vm_id!);
    expect(vm.settings).toMatchObject({ 'hw.rtc-clock': 'vm', 'console.pointer': 'usb-tablet' });
    expect((await kahu.post(`${stopped}stop`)).status).toBe(200);
  });
});

describe('catalog and hypervisors', () => {
  it('lists the seeded profiles and sizes, in Kahu shape', async () => {
    const profiles = await (await kahu.get('/v0/compute/profile/')).json();
    expect(profiles['debian-jessie-2016011200'].storage.root).toMatchObject({ bootable: true, size: 16384, type: 'qcow2' });
    expect(profiles.empty.storage).toEqual({});
    expect(await (await kahu.get('/v0/compute/size/')).json()).toMatchObject({ '1cpu256mb': { ncpu: 1, memory: 256 } });
    expect(await (await kahu.get('/v0/compute/size/1cpu256mb/')).json()).toEqual({ ncpu: 1, memory: 256 });
    expect((await kahu.get('/v0/compute/size/nope')).status).toBe(404);
    expect((await kahu.get('/v0/compute/profile/nope')).status).toBe(404);
  });

  it('lets an admin add and remove sizes and profiles, with field errors and conflicts', async () => {
    const before = await snapshotState();
    await expectRejected(await kahu.post('/v0/compute/size/', { name: 'x', ncpu: '0', memory: '512' }), 400, /^ncpu: /, before);
    await expectRejected(await kahu.post('/v0/compute/size/', { name: 'x', ncpu: '1', memory: 'lots' }), 400, /^memory: /, before);
    await expectRejected(await kahu.post('/v0/compute/size/', { name: '1cpu256mb', ncpu: '1', memory: '256' }), 409, /already exists/, before);
    await expectRejected(await kahu.delete('/v0/compute/size/1cpu256mb'), 409, /is used by instance/, before);
    expect((await kahu.post('/v0/compute/size/', { name: '8cpu16gb', ncpu: '8', memory: '16384' })).status).toBe(201);
    expect((await kahu.delete('/v0/compute/size/8cpu16gb/')).status).toBe(200);

    const profile = { name: 'alpine', network: { external: { type: 'virtio' } }, storage: { root: { order: 0, size: 2048, bootable: true } } };
    const added = await kahu.request('/v0/compute/profile/', { method: 'POST', body: JSON.stringify(profile), headers: { 'content-type': 'application/json' } });
    expect(added.status).toBe(201);
    const bad = await kahu.request('/v0/compute/profile/', {
      method: 'POST',
      body: JSON.stringify({ ...profile, name: 'broken', storage: { root: { order: -1, size: 0 } } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/storage\.root\./);
    expect((await kahu.delete('/v0/compute/profile/alpine')).status).toBe(200);
  });

  it('describes hypervisors once synced from the cloud', async () => {
    await stack.runWorkflow(syncHypervisors);
    const all = await (await kahu.get('/v0/hypervisor/instance/')).json();
    expect(all['0']).toMatchObject({ uri: '/v0/hypervisor/instance/0', state: 'up' });
    expect(all['0'].ncpu).toBeGreaterThan(0);
    expect((await kahu.get('/v0/hypervisor/instance/0')).status).toBe(200);
    expect((await kahu.get('/v0/hypervisor/instance/999')).status).toBe(404);
  });
});
