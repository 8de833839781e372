import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack';
import { apiToken, BASE, bigdata, FABFILE, MINIMAL_JSON, registerProduct, userWithToken, type Bigdata } from './support';

/**
 * Every rejected request of the BigData PaaS API answers a clear 4xx in upstream's
 * `{status, error, message}` shape and changes nothing. No worker runs in this file: an accepted
 * launch stays in the queue, which shows the queue's `pending` answer.
 */
let stack: Stack;
let api: Bigdata;
let member: Bigdata;

const count = async (table: 'cluster_products' | 'clusters' | 'cluster_counters' | 'cluster_nodes' | 'operations') =>
  Number((await stack.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Everything a request here could change: rows, the product catalog's content, and simcloud. */
const snapshotState = async () => ({
  products: await stack.db.selectFrom('cluster_products').selectAll().orderBy('name').orderBy('version').execute(),
  clusters: await count('clusters'),
  counters: await stack.db.selectFrom('cluster_counters').selectAll().execute(),
  nodes: await count('cluster_nodes'),
  operations: await count('operations'),
  pods: (await stack.cloud.health()).pods,
});

async function expectRejected(request: Promise<Response>, status: number, error: string, message: RegExp) {
  const before = await snapshotState();
  const res = await request;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(JSON.parse(text)).toEqual({ status, error, message: expect.stringMatching(message) });
  expect(await snapshotState()).toEqual(before);
}

beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  api = bigdata(stack, await apiToken(stack));
  member = bigdata(stack, await userWithToken(stack, 'mallory'));
  await registerProduct(api, {
    name: 'reference',
    version: '1.0.0',
    template: MINIMAL_JSON,
    options: { required: { size: 2 }, optional: {}, advanced: {}, descriptions: {} },
    orchestrator: FABFILE,
  });
  expect((await api.post('/products', { name: 'reference', version: '2.0.0', description: 'no template yet' })).status).toBe(201);
});
afterAll(async () => {
  await stack?.stop();
});

describe('auth', () => {
  it('401 without a token or with a bad one, in the seed shape', async () => {
    await expectRejected(bigdata(stack, null).get('/products'), 401, 'unauthorized', /^no token has been provided$/);
    await expectRejected(bigdata(stack, 'pvo_forged').get('/clusters'), 401, 'unauthorized', /^please provide a valid authentication token$/);
    await expectRejected(bigdata(stack, null).post('/products/reference/1.0.0', { size: 2 }), 401, 'unauthorized', /token/);
    expect((await bigdata(stack, null).get('/products/reference')).status).toBe(200); // the one public read
  });

  it('403 when a member (neither admin nor manager) registers or changes a product', async () => {
    await expectRejected(member.post('/products', { name: 'mine', version: '1', description: 'x' }), 403, 'forbidden', /admin or manager/);
    await expectRejected(member.put('/products/reference/1.0.0/template', '{}', 'application/json'), 403, 'forbidden', /admin or manager/);
    await expectRejected(member.put('/products/reference/1.0.0/options', {}), 403, 'forbidden', /admin or manager/);
    await expectRejected(member.put('/products/reference/1.0.0/orchestrator', 'x', 'text/plain'), 403, 'forbidden', /admin or manager/);
  });

  it('a manager may register products', async () => {
    const manager = bigdata(stack, await userWithToken(stack, 'margaret', 'manager'));
    expect((await manager.post('/products', { name: 'managed', version: '1', description: 'by a manager', logo_url: 'https://x/logo.png' })).status).toBe(201);
  });
});

describe('registering products', () => {
  it.each([
    ['name', { version: '1', description: 'd' }, /^name: required$/],
    ['version', { name: 'p', description: 'd' }, /^version: required$/],
    ['description', { name: 'p', version: '1' }, /^description: required$/],
    ['a bad name', { name: 'has space', version: '1', description: 'd' }, /^name: a name is 1-64 characters/],
    ['a non-string version', { name: 'p', version: 1, description: 'd' }, /^version: must be a string$/],
  ])('missing or bad %s → 400 naming it', async (_what, body, message) => {
    await expectRejected(api.post('/products', body), 400, 'bad request', message);
  });

  it('malformed JSON → 400; a wrong content type → 415; a duplicate version → 409', async () => {
    await expectRejected(api.post('/products', '{"name": "p",', 'application/json'), 400, 'bad request', /^malformed JSON: /);
    await expectRejected(api.post('/products', 'name=p&version=1&description=d', 'application/x-www-form-urlencoded'), 415, 'unsupported media type', /application\/json/);
    await expectRejected(api.post('/products', { name: 'reference', version: '1.0.0', description: 'again' }), 409, 'conflict', /reference version 1\.0\.0 is already registered/);
  });

  it('unknown products and versions → 404', async () => {
    await expectRejected(bigdata(stack, null).get('/products/nothing'), 404, 'not found', /^no product nothing$/);
    await expectRejected(api.get('/products/reference/9.9'), 404, 'not found', /^no product reference with version 9\.9$/);
    await expectRejected(api.put('/products/reference/9.9/template', MINIMAL_JSON, 'application/json'), 404, 'not found', /version 9\.9/);
    await expectRejected(api.put('/products/nothing/1/options', {}), 404, 'not found', /no product nothing/);
    await expectRejected(api.put('/products/nothing/1/orquestrator', FABFILE, 'text/plain'), 404, 'not found', /no product nothing/);
    await expectRejected(api.get('/products/reference/2.0.0/template'), 404, 'not found', /has no template yet/);
    await expectRejected(api.get('/products/reference/2.0.0/options'), 404, 'not found', /has no options yet/);
    await expectRejected(api.get('/products/reference/2.0.0/orchestrator'), 404, 'not found', /has no orchestrator yet/);
  });
});

describe('templates, options and orchestrators', () => {
  it('a template with a syntax error → 400 naming the line; the stored template is unchanged', async () => {
    const broken = '{\n  "dnsname": "{{ clusterid }}",\n  {% for n in range(0, opts.size) %}\n  "nodes": {}\n}\n';
    await expectRejected(api.put('/products/reference/1.0.0/template', broken, 'application/json'), 400, 'bad request', /^template syntax error at line 6 \(end of template\): unexpected end of file/);
    await expectRejected(api.put('/products/reference/1.0.0/template', 'a: 1\nb: {{ x. }}\n', 'application/yaml'), 400, 'bad request', /^template syntax error at line 2, column \d+: /);
    expect(await (await api.get('/products/reference/1.0.0/template')).text()).toBe(MINIMAL_JSON);
  });

  it('a template of another content type → 415; an empty one → 400', async () => {
    await expectRejected(api.put('/products/reference/1.0.0/template', MINIMAL_JSON, 'text/plain'), 415, 'unsupported media type', /application\/json or application\/yaml/);
    await expectRejected(api.put('/products/reference/1.0.0/template', '  \n', 'application/json'), 400, 'bad request', /^the template is empty$/);
  });

  it('options: malformed JSON, wrong content type, unknown or mistyped keys → 4xx naming them', async () => {
    await expectRejected(api.put('/products/reference/1.0.0/options', '{"required": ', 'application/json'), 400, 'bad request', /^malformed JSON/);
    await expectRejected(api.put('/products/reference/1.0.0/options', '{"required": {}}', 'text/plain'), 415, 'unsupported media type', /JSON/);
    await expectRejected(api.put('/products/reference/1.0.0/options', { requird: { size: 2 } }), 400, 'bad request', /requird/);
    await expectRejected(api.put('/products/reference/1.0.0/options', { required: [1, 2] }), 400, 'bad request', /^required: /);
    await expectRejected(api.put('/products/reference/1.0.0/options', { descriptions: { size: 3 } }), 400, 'bad request', /^descriptions\.size: /);
  });

  it('an empty orchestrator → 400', async () => {
    await expectRejected(api.put('/products/reference/1.0.0/orchestrator', '', 'text/plain'), 400, 'bad request', /empty/);
  });
});

describe('launching', () => {
  it('a missing required option → 400 "invalid options", and no cluster, number or operation is created', async () => {
    await expectRejected(api.post('/products/reference/1.0.0', {}), 400, 'invalid options', /^missing required option: size$/);
    await expectRejected(api.post('/products/reference/1.0.0'), 400, 'invalid options', /size/); // no body means no options
  });

  it('malformed JSON, a wrong content type or a body that is not an object → 4xx', async () => {
    await expectRejected(api.post('/products/reference/1.0.0', '{"size": 2', 'application/json'), 400, 'bad request', /^malformed JSON/);
    await expectRejected(api.post('/products/reference/1.0.0', 'size=2', 'application/x-www-form-urlencoded'), 415, 'unsupported media type', /JSON/);
    await expectRejected(api.post('/products/reference/1.0.0', [2]), 400, 'bad request', /must be a JSON object of option values/);
  });

  it('an unknown product or version → 404; a version without a template → 409', async () => {
    await expectRejected(api.post('/products/nothing/1', { size: 2 }), 404, 'not found', /^no product nothing with version 1$/);
    await expectRejected(api.post('/products/reference/9.9', { size: 2 }), 404, 'not found', /version 9\.9/);
    await expectRejected(api.post('/products/reference/2.0.0', {}), 409, 'conflict', /has no template yet/);
  });

  it('an accepted launch is 202 {url}; its queue entry answers pending until the cluster is registered', async () => {
    const res = await api.request('POST', '/products/reference/1.0.0', { size: 2 }, undefined, { 'idempotency-key': 'launch-1' });
    expect(res.status).toBe(202);
    const { url } = await res.json();
    expect(res.headers.get('location')).toBe(url);
    const again = await api.request('POST', '/products/reference/1.0.0', { size: 2 }, undefined, { 'idempotency-key': 'launch-1' });
    expect(await again.json()).toEqual({ url }); // the first answer; nothing new started
    expect(await count('clusters')).toBe(1);

    const queued = await api.get(url.slice(BASE.length));
    expect(queued.status).toBe(200);
    expect(await queued.json()).toEqual({ status: 'pending' });
    // Not a cluster yet: absent from the list and its URI, and invisible to other users.
    expect(await (await api.get('/clusters')).json()).toEqual({ clusters: [] });
    await expectRejected(api.get('/clusters/admin/reference/1.0.0/1'), 404, 'not found', /^no cluster admin\/reference\/1\.0\.0\/1$/);
    await expectRejected(member.get(url.slice(BASE.length)), 404, 'not found', /no queue entry/);
  });
});

describe('clusters and the queue: bad paths', () => {
  it('a cluster id that is not a number, or a malformed queue id → 400 naming it; unknown ones → 404', async () => {
    await expectRejected(api.get('/clusters/admin/reference/1.0.0/abc'), 400, 'bad request', /^id: must be a cluster number/);
    await expectRejected(api.delete('/clusters/admin/reference/1.0.0/0'), 400, 'bad request', /^id: /);
    await expectRejected(api.get('/queue/not-a-uuid'), 400, 'bad request', /^id: must be a queue entry id/);
    await expectRejected(api.get('/queue/7b0a2c3e-5a4f-4c1e-9b7d-2f6a1e0c9d8b'), 404, 'not found', /no queue entry/);
    await expectRejected(api.delete('/clusters/admin/reference/1.0.0/42'), 404, 'not found', /no cluster admin\/reference\/1\.0\.0\/42/);
    await expectRejected(api.get('/clusters/admin/reference/1.0.0/42/nodes'), 404, 'not found', /no cluster/);
    await expectRejected(api.get('/clusters?limit=0'), 400, 'bad request', /^limit: /);
  });

  it('an unknown route under the base path → 404 in the seed shape', async () => {
    await expectRejected(api.get('/nothing/here'), 404, 'not found', /invalid resource URI/);
    await expectRejected(api.request('PATCH', '/products'), 404, 'not found', /PATCH/);
  });
});
