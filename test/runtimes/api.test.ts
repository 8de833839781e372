import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../api/auth/users';
import { startStack, type Stack } from '../support/stack';
import { basic, createRuntime, srClient, waitForState, type SrClient } from './support';

let stack: Stack;
let sr: SrClient;
let outsider: SrClient;
let guest: SrClient;
let runtimeId: number;

beforeAll(async () => {
  process.env.RUNTIME_SUPERVISOR_INTERVAL_MS = '200';
  stack = await startStack();
  sr = srClient(stack);
  await stack.db.insertInto('projects').values({ id: 'other', name: 'other' }).execute();
  await createUser(stack.db, { username: 'outsider', password: 'secret1', defaultProjectId: 'other', memberships: [{ projectId: 'other', role: 'member' }] });
  await createUser(stack.db, { username: 'viewer', password: 'secret2', defaultProjectId: 'demo', memberships: [{ projectId: 'demo', role: 'guest' }] });
  outsider = srClient(stack, basic('outsider', 'secret1'));
  guest = srClient(stack, basic('viewer', 'secret2'));
  runtimeId = (await createRuntime(sr, { NAME: 'fixture', FAAS: { FLAVOUR: 'Function' } })).ID;
  await waitForState(sr, runtimeId, 'RUNNING');
});
afterAll(async () => {
  await stack?.stop();
});

const sr_ = (spec: unknown) => ({ SERVERLESS_RUNTIME: spec });

describe('unauthenticated endpoints', () => {
  it('GET /serverless-runtimes/schema is the JSON Schema of the body', async () => {
    const res = await srClient(stack, null).get('/serverless-runtimes/schema');
    expect(res.status).toBe(200);
    const schema = await res.json();
    expect(schema.required).toEqual(['SERVERLESS_RUNTIME']);
    expect(schema.properties.SERVERLESS_RUNTIME.required).toEqual(['FAAS']);
    expect(Object.keys(schema.properties.SERVERLESS_RUNTIME.properties)).toEqual(['NAME', 'FAAS', 'DAAS', 'SCHEDULING', 'DEVICE_INFO']);
  });

  it('GET /server/version is a JSON semver string; /server/config has no secrets', async () => {
    const version = await srClient(stack, null).get('/server/version');
    expect(version.status).toBe(200);
    expect(await version.json()).toMatch(/^\d+\.\d+\.\d+$/);
    const config = await srClient(stack, null).get('/server/config');
    expect(config.status).toBe(200);
    const body = await config.json();
    expect(body).toMatchObject({ capacity: { defaults: { CPU: 2, MEMORY: 1024, DISK_SIZE: 1024 }, max_factor: 2 }, supervisor: { interval_ms: 200 } });
    expect(JSON.stringify(body)).not.toMatch(/secret|password|DATABASE/i);
  });

  it('is listed in /openapi.json', async () => {
    const doc = (await (await stack.app.request('/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/serverless-runtimes', '/serverless-runtimes/{id}', '/serverless-runtimes/schema', '/server/version']));
    expect(doc.paths['/serverless-runtimes'].post.requestBody.content['application/json'].schema.properties.SERVERLESS_RUNTIME).toBeDefined();
  });
});

describe('authentication (every endpoint needs HTTP Basic)', () => {
  const endpoints: Array<[string, string, unknown?]> = [
    ['GET', '/serverless-runtimes'],
    ['POST', '/serverless-runtimes', sr_({ FAAS: { FLAVOUR: 'Function' } })],
    ['GET', '/serverless-runtimes/1'],
    ['PUT', '/serverless-runtimes/1', sr_({ FAAS: { FLAVOUR: 'Function' } })],
    ['DELETE', '/serverless-runtimes/1'],
    ['GET', '/serverless-runtimes/templates'],
    ['PUT', '/serverless-runtimes/templates/x', { roles: { FAAS: {} } }],
    ['DELETE', '/serverless-runtimes/templates/x'],
  ];
  it.each(endpoints)('%s %s without credentials → 401 Authentication required', async (method, path, body) => {
    const res = await srClient(stack, null).request(method, path, body);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Authentication required', message: '' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });
  it.each(endpoints)('%s %s with a Bearer token → 401 Unsupported authentication scheme', async (method, path, body) => {
    const res = await srClient(stack, 'Bearer abc').request(method, path, body);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unsupported authentication scheme', message: '' });
  });
  it('a wrong password → 401', async () => {
    const res = await srClient(stack, basic('admin', 'wrong')).get(`/serverless-runtimes/${runtimeId}`);
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('Invalid username or password');
  });
});

describe('POST /serverless-runtimes errors', () => {
  it('malformed JSON → 400 Invalid JSON', async () => {
    const res = await sr.post('/serverless-runtimes', '{"SERVERLESS_RUNTIME": {');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('Invalid JSON');
  });

  it.each([
    ['no SERVERLESS_RUNTIME', {}, 'SERVERLESS_RUNTIME'],
    ['no FAAS', sr_({ NAME: 'x' }), 'SERVERLESS_RUNTIME.FAAS'],
    ['FAAS without FLAVOUR', sr_({ FAAS: { CPU: 1 } }), 'SERVERLESS_RUNTIME.FAAS.FLAVOUR'],
    ['empty FAAS FLAVOUR', sr_({ FAAS: { FLAVOUR: '' } }), 'SERVERLESS_RUNTIME.FAAS.FLAVOUR'],
    ['DAAS: {}', sr_({ FAAS: { FLAVOUR: 'Function' }, DAAS: {} }), 'SERVERLESS_RUNTIME.DAAS.FLAVOUR'],
    ['CPU not an integer', sr_({ FAAS: { FLAVOUR: 'Function', CPU: 'two' } }), 'SERVERLESS_RUNTIME.FAAS.CPU'],
    ['MEMORY zero', sr_({ FAAS: { FLAVOUR: 'Function', MEMORY: 0 } }), 'SERVERLESS_RUNTIME.FAAS.MEMORY'],
    ['malformed REQUIREMENTS', sr_({ FAAS: { FLAVOUR: 'Function' }, SCHEDULING: { REQUIREMENTS: 'GEO' } }), 'SERVERLESS_RUNTIME.SCHEDULING.REQUIREMENTS'],
    ['LATENCY_TO_PE a string', sr_({ FAAS: { FLAVOUR: 'Function' }, DEVICE_INFO: { LATENCY_TO_PE: 'low' } }), 'SERVERLESS_RUNTIME.DEVICE_INFO.LATENCY_TO_PE'],
  ])('%s → 400 Invalid Serverless Runtime specification naming %s', async (_what, body, field) => {
    const before = await stack.db.selectFrom('runtimes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const res = await sr.post('/serverless-runtimes', body);
    expect(res.status).toBe(400);
    const err = await res.json();
    expect(err.error).toBe('Invalid Serverless Runtime specification');
    expect(err.message).toContain(`${field}:`);
    const after = await stack.db.selectFrom('runtimes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it.each([
    ['nope', sr_({ FAAS: { FLAVOUR: 'nope' } })],
    ['nature-Data', sr_({ FAAS: { FLAVOUR: 'nature' }, DAAS: { FLAVOUR: 'Data' } })],
  ])('unknown tuple %s → 422', async (tuple, body) => {
    const res = await sr.post('/serverless-runtimes', body);
    expect(res.status).toBe(422);
    expect((await res.json()).error).toBe(`Cannot find a valid service template for the specified flavours: ${tuple}`);
  });

  it('DAAS with an empty FLAVOUR means no DaaS', async () => {
    const created = await createRuntime(sr, { FAAS: { FLAVOUR: 'Function' }, DAAS: { FLAVOUR: '' } });
    expect(created.DAAS).toBeUndefined();
    expect(created.NAME).toMatch(/^Function_/);
  });

  it('a guest of the project cannot create (403)', async () => {
    const res = await guest.post('/serverless-runtimes', sr_({ FAAS: { FLAVOUR: 'Function' } }));
    expect(res.status).toBe(403);
    expect(Object.keys(await res.json())).toEqual(['error', 'message']);
  });
});

describe('GET, PUT and DELETE /serverless-runtimes/{id} errors', () => {
  it.each(['999999', 'abc', '-1', '1.5'])('GET %s → 404 Serverless Runtime not found', async (id) => {
    const res = await sr.get(`/serverless-runtimes/${id}`);
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe('Serverless Runtime not found');
  });

  it('PUT on an unknown id → 404 before the body is looked at', async () => {
    const res = await sr.put('/serverless-runtimes/999999', '{not json');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe('Serverless Runtime not found');
  });

  it('PUT with malformed JSON or an invalid spec → 400', async () => {
    const bad = await sr.put(`/serverless-runtimes/${runtimeId}`, '{not json');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('Invalid JSON');
    const invalid = await sr.put(`/serverless-runtimes/${runtimeId}`, sr_({ NAME: 'x' }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: 'Invalid Serverless Runtime specification', message: expect.stringContaining('FAAS') });
  });

  it('PUT beyond the capacity limits → 400', async () => {
    const res = await sr.put(`/serverless-runtimes/${runtimeId}`, sr_({ FAAS: { FLAVOUR: 'Function', MEMORY: 100_000 } }));
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain('FAAS.MEMORY: 100000 is beyond the maximum 256');
  });

  it('DELETE on an unknown id → 404', async () => {
    const res = await sr.delete('/serverless-runtimes/999999');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe('Serverless Runtime not found');
  });

  it("another project's runtime answers 404 to GET, PUT and DELETE, and is left alone", async () => {
    for (const [method, body] of [['GET'], ['PUT', sr_({ NAME: 'hijack', FAAS: { FLAVOUR: 'Function' } })], ['DELETE']] as const) {
      const res = await outsider.request(method, `/serverless-runtimes/${runtimeId}`, body);
      expect(res.status, method).toBe(404);
      expect((await res.json()).error).toBe('Serverless Runtime not found');
    }
    const list = await (await outsider.get('/serverless-runtimes')).json();
    expect(list.SERVERLESS_RUNTIMES).toEqual([]);
    const r = await (await sr.get(`/serverless-runtimes/${runtimeId}`)).json();
    expect(r.SERVERLESS_RUNTIME).toMatchObject({ NAME: 'fixture', FAAS: { STATE: 'RUNNING' } });
  });

  it('a guest can read but not update or delete (403)', async () => {
    expect((await guest.get(`/serverless-runtimes/${runtimeId}`)).status).toBe(200);
    expect((await guest.put(`/serverless-runtimes/${runtimeId}`, sr_({ FAAS: { FLAVOUR: 'Function' } }))).status).toBe(403);
    expect((await guest.delete(`/serverless-runtimes/${runtimeId}`)).status).toBe(403);
  });
});

describe('GET /serverless-runtimes (paginated)', () => {
  it('pages through the project’s runtimes with a Link header', async () => {
    const all = await (await sr.get('/serverless-runtimes?per_page=100')).json();
    expect(all.TOTAL).toBeGreaterThanOrEqual(2);
    const first = await sr.get('/serverless-runtimes?page=1&per_page=1');
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body).toMatchObject({ PAGE: 1, PER_PAGE: 1, TOTAL: all.TOTAL });
    expect(body.SERVERLESS_RUNTIMES).toHaveLength(1);
    expect(body.SERVERLESS_RUNTIMES[0].SERVERLESS_RUNTIME.ID).toBe(runtimeId);
    expect(first.headers.get('link')).toContain('page=2&per_page=1>; rel="next"');
    const ids = all.SERVERLESS_RUNTIMES.map((r: any) => r.SERVERLESS_RUNTIME.ID);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
  });

  it.each(['page=0', 'per_page=0', 'per_page=1000', 'page=x'])('?%s → 400', async (q) => {
    const res = await sr.get(`/serverless-runtimes?${q}`);
    expect(res.status).toBe(400);
    expect(Object.keys(await res.json())).toEqual(['error', 'message']);
  });
});

describe('service templates (extendable by an admin)', () => {
  it('lists the seeded templates covering the seed examples', async () => {
    const res = await sr.get('/serverless-runtimes/templates');
    expect(res.status).toBe(200);
    const t = await res.json();
    expect(Object.keys(t)).toEqual(expect.arrayContaining(['nature', 'nature-s3', 'Function', 'Function-Data']));
    expect(t['Function-Data'].roles).toEqual({ FAAS: { CPU: 1, MEMORY: 128, DISK_SIZE: 200 }, DAAS: { CPU: 1, MEMORY: 128, DISK_SIZE: 1024 } });
  });

  it('an admin adds a tuple, which then deploys; replaces it (200) and removes it (204, then 404)', async () => {
    expect((await sr.post('/serverless-runtimes', sr_({ FAAS: { FLAVOUR: 'python' }, DAAS: { FLAVOUR: 'redis' } }))).status).toBe(422);
    const put = await sr.put('/serverless-runtimes/templates/python-redis', { description: 'py', roles: { FAAS: { CPU: 2, MEMORY: 256 }, DAAS: {} } });
    expect(put.status).toBe(201);
    const created = await createRuntime(sr, { FAAS: { FLAVOUR: 'python' }, DAAS: { FLAVOUR: 'redis' } });
    expect(created.FAAS).toMatchObject({ CPU: 2, MEMORY: 256, DISK_SIZE: 1024 });
    expect(created.DAAS).toMatchObject({ CPU: 2, MEMORY: 1024, DISK_SIZE: 1024 });
    const replace = await sr.put('/serverless-runtimes/templates/python-redis', { roles: { FAAS: { CPU: 1 }, DAAS: {} } });
    expect(replace.status).toBe(200);
    expect((await sr.delete('/serverless-runtimes/templates/python-redis')).status).toBe(204);
    expect((await sr.delete('/serverless-runtimes/templates/python-redis')).status).toBe(404);
  });

  it('rejects invalid templates (400) and non-admins (403)', async () => {
    const noFaas = await sr.put('/serverless-runtimes/templates/x', { roles: {} });
    expect(noFaas.status).toBe(400);
    expect(await noFaas.json()).toMatchObject({ error: 'Invalid service template', message: expect.stringContaining('roles.FAAS') });
    const mismatch = await sr.put('/serverless-runtimes/templates/x-y', { roles: { FAAS: {} } });
    expect(mismatch.status).toBe(400);
    const badCpu = await sr.put('/serverless-runtimes/templates/x', { roles: { FAAS: { CPU: -1 } } });
    expect(badCpu.status).toBe(400);
    const forbidden = await outsider.put('/serverless-runtimes/templates/x', { roles: { FAAS: {} } });
    expect(forbidden.status).toBe(403);
    expect((await outsider.delete('/serverless-runtimes/templates/Function')).status).toBe(403);
  });
});

