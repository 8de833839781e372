import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { flavorBody, flavorClient, readDoc, REGION_PASSWORD, REGION_USERNAME, registerRegion, tokenFor, type FlavorClient, type Format } from './support';

/**
 * The flavor-sync API through the real app, simcloud, Temporal and Postgres: every blueprint
 * example in JSON and in XML, the publish/promote rules, filters, roles, infrastructures, and
 * proof that every rejected request changes nothing.
 */

let stack: Stack;
let manager: FlavorClient;
let member: FlavorClient;
let admin: FlavorClient;

const count = async (table: 'flavors' | 'flavor_nodes' | 'flavor_infrastructures' | 'operations') =>
  Number((await stack.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Every table a flavor request could touch, and both regions' catalogs. */
const state = async () => ({
  flavors: await count('flavors'),
  nodes: await count('flavor_nodes'),
  infrastructures: await count('flavor_infrastructures'),
  operations: await count('operations'),
  regionFlavors: await Promise.all(['region-1', 'region-2'].map(async (region) => (await catalogOf(region).listFlavors()).length)),
});

const catalogOf = (region: string) => stack.cloud.regionCatalog({ url: stack.simcloudUrl, region, username: REGION_USERNAME, password: REGION_PASSWORD });

/** A request that must be refused with `status` (and a message matching `pattern`) and change nothing. */
async function expectRefused(request: () => Promise<Response>, status: number, pattern: RegExp, format: Format = 'json') {
  const before = await state();
  const res = await request();
  if (status === 401 || (status === 405 && res.headers.get('content-type')?.startsWith('text/plain'))) {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(text).toMatch(pattern);
  } else {
    expect(res.status).toBe(status);
    const doc = await readDoc(res, format);
    expect(doc.error.message).toMatch(pattern);
  }
  expect(await state()).toEqual(before);
}

beforeAll(async () => {
  stack = await startStack();
  admin = flavorClient(stack, await tokenFor(stack, 'admin', 'global-admin'));
  manager = flavorClient(stack, await tokenFor(stack, 'irene', 'manager'));
  member = flavorClient(stack, await tokenFor(stack, 'mark', 'member'));
});
afterAll(async () => {
  await stack?.stop();
});

describe('auth', () => {
  it('answers a missing or unknown X-Auth-Token with the blueprint’s 401 text', async () => {
    for (const path of ['/v1/flavors', '/v1/promotedflavors', '/v1/regions', '/v1/regions/region-1/flavors', '/v1/region/region-1/flavors/1']) {
      const none = await stack.request(path);
      expect(none.status).toBe(401);
      expect(none.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await none.text()).toBe('Could not verify your access level for that URL. You have to login with proper token');
      expect((await stack.request(path, { headers: { 'x-auth-token': 'pvo_nope' } })).status).toBe(401);
    }
    await expectRefused(() => flavorClient(stack, null).post('/v1/flavors', flavorBody('anon')), 401, /proper token/);
  });

  it('leaves the platform’s own /v1 routes as they were', async () => {
    const platform = platformClient(stack);
    expect((await platform.get('/v1/projects')).status).toBe(200);
    expect((await platform.get('/v1/operations')).status).toBe(200);
    expect((await platform.get('/v1/me')).status).toBe(200);
    const anonymous = await stack.request('/v1/operations');
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
    expect((await stack.request('/v1/nothing-here', { headers: { 'x-auth-token': 'x' } })).status).toBe(404);
  });

  it('documents every path, both body formats and the token in /openapi.json', async () => {
    const doc = await (await stack.request('/openapi.json')).json();
    for (const path of ['/v1/flavors', '/v1/flavors/{id}', '/v1/promotedflavors', '/v1/promotedflavors/{id}', '/v1/regions', '/v1/regions/{region}/flavors', '/v1/region/{region}/flavors/{id}', '/v1/infrastructures', '/v1/infrastructures/{name}']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/v1/flavors'].post.requestBody.content)).toEqual(['application/json', 'application/xml']);
    expect(doc.components.securitySchemes.flavorToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
  });

  it('lets a member read and answers every write with 405', async () => {
    expect((await member.get('/v1/flavors')).status).toBe(200);
    expect((await member.get('/v1/regions')).status).toBe(200);
    const writes: Array<() => Promise<Response>> = [
      () => member.post('/v1/flavors', flavorBody('by-member')),
      () => member.put('/v1/flavors/x', { flavor: { public: true } }),
      () => member.delete('/v1/flavors/x'),
      () => member.post('/v1/promotedflavors', flavorBody('by-member')),
      () => member.delete('/v1/promotedflavors/x'),
      () => member.post('/v1/regions/region-1/flavors', flavorBody('by-member')),
      () => member.delete('/v1/region/region-1/flavors/x'),
      () => member.post('/v1/infrastructures', { infrastructure: { name: 'region-3', keystone_url: stack.simcloudUrl, username: 'u', password: 'p', tenant: 't' } }),
      () => member.delete('/v1/infrastructures/region-1'),
    ];
    for (const write of writes) await expectRefused(write, 405, /not allowed for the resource/);
  });
});

describe('infrastructures', () => {
  const body = (name: string, password = REGION_PASSWORD, url?: string) => ({
    infrastructure: { name, nova_url: 'http://11.22.33.44:8776/', keystone_url: url ?? stack.simcloudUrl, username: REGION_USERNAME, password, tenant: 'myTenant' },
  });

  it('refuses credentials the region rejects, a region that does not exist, a cloud that does not answer, bad fields', async () => {
    await expectRefused(() => manager.post('/v1/infrastructures', body('region-1', 'wrong-password')), 400, /rejected the credentials/);
    await expectRefused(() => manager.post('/v1/infrastructures', body('region-9')), 400, /no region region-9/);
    await expectRefused(() => manager.post('/v1/infrastructures', body('region-1', REGION_PASSWORD, 'http://127.0.0.1:1')), 502, /not reachable/);
    await expectRefused(() => manager.post('/v1/infrastructures', { infrastructure: { name: 'region-1' } }), 400, /infrastructure\.keystone_url/);
    await expectRefused(() => manager.post('/v1/infrastructures', { infrastructure: { ...body('region-1').infrastructure, extra: 1 } }), 400, /extra/);
    await expectRefused(() => manager.post('/v1/infrastructures', 'name=region-1', { 'content-type': 'text/plain' }), 415, /application\/json/);
  });

  it('registers regions in JSON and XML, never shows their credentials, and refuses a duplicate', async () => {
    const json = await manager.post('/v1/infrastructures', body('region-1'));
    const jsonText = await manager.expect(json, 201);
    expect(JSON.parse(jsonText)).toEqual({ infrastructure: { name: 'region-1' } });

    const xml = flavorClient(stack, (await tokenFor(stack, 'xavier', 'admin')), 'xml');
    const res = await xml.post(
      '/v1/infrastructures',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<infrastructure>
    <name>region-2</name>
    <keystone_url>${stack.simcloudUrl}</keystone_url>
    <username>${REGION_USERNAME}</username>
    <password>${REGION_PASSWORD}</password>
    <tenant>myTenant</tenant>
</infrastructure>`,
    );
    expect(res.status).toBe(201);
    expect(await readDoc(res, 'xml')).toEqual({ infrastructure: { name: 'region-2' } });

    await expectRefused(() => manager.post('/v1/infrastructures', body('region-1')), 409, /already exists/);

    for (const format of ['json', 'xml'] as const) {
      const regions = await flavorClient(stack, manager.token, format).get('/v1/regions');
      expect(await readDoc(regions, format)).toEqual({ Infrastructures: [{ id: 'region-1', name: 'region-1' }, { id: 'region-2', name: 'region-2' }] });
    }
    const rows = await stack.db.selectFrom('flavor_infrastructures').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(REGION_PASSWORD);
    expect(JSON.stringify(rows)).not.toContain(`"${REGION_USERNAME}"`);
    expect(rows.every((r) => r.credentials_sealed.startsWith('v1.'))).toBe(true);
  });
});

/** The blueprint's requests, verbatim but for names, hosts and tokens, in one format; answers read in the JSON shape. */
function blueprintExamples(format: Format) {
  const client = () => flavorClient(stack, manager.token, format);
  const x = format === 'xml';
  const spec = (name: string, vcpus: number, ram: number, disk: number, swap: number) =>
    x
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<flavor>\n    <name>${name}</name>\n    <vcpus>${vcpus}</vcpus>\n    <ram>${ram}</ram>\n    <disk>${disk}</disk>\n    <swap>${swap}</swap>\n</flavor>`
      : { flavor: { name, vcpus, ram, disk, swap } };

  it(`promoted flavors (${format}): create, list, get, delete`, async () => {
    const created = await client().post('/v1/promotedflavors', spec(`TestNano-${format}`, 1, 2, 10, 0));
    expect(created.status).toBe(201);
    const { flavor } = await readDoc(created, format);
    expect(flavor).toEqual({ id: expect.any(String), name: `TestNano-${format}`, vcpus: 1, ram: 2, disk: 10, swap: 0, promoted: true, public: true, nodes: [] });

    const list = await readDoc(await client().get('/v1/promotedflavors'), format);
    expect(list.flavors).toContainEqual(flavor);
    expect(list.flavors.every((f: any) => f.promoted && f.public)).toBe(true);
    expect(await readDoc(await client().get(`/v1/promotedflavors/${flavor.id}`), format)).toEqual({ flavor });

    const removed = await client().delete(`/v1/promotedflavors/${flavor.id}`);
    expect(removed.status, await removed.clone().text()).toBe(204);
    expect((await client().get(`/v1/promotedflavors/${flavor.id}`)).status).toBe(404);
  });

  it(`flavors (${format}): create, list, get, install (PUT nodes), delete`, async () => {
    const created = await client().post('/v1/flavors', spec(`insane-${format}`, 640, 1232896, 1262485504, 0));
    expect(created.status).toBe(201);
    const { flavor } = await readDoc(created, format);
    expect(flavor).toEqual({ id: expect.any(String), name: `insane-${format}`, vcpus: 640, ram: 1232896, disk: 1262485504, swap: 0, promoted: false, public: false, nodes: [] });
    expect((await readDoc(await client().get('/v1/flavors'), format)).flavors).toContainEqual(flavor);
    expect(await readDoc(await client().get(`/v1/flavors/${flavor.id}`), format)).toEqual({ flavor });

    const hpc = await readDoc(await client().post('/v1/flavors', spec(`hpc-${format}`, 16, 16384, 100, 0)), format);
    const install = x ? `<?xml version="1.0" encoding="UTF-8"?>\n<flavor>\n    <node>region-1</node>\n</flavor>` : { flavor: { nodes: ['region-1'] } };
    const installed = await client().put(`/v1/flavors/${hpc.flavor.id}`, install);
    expect(installed.status).toBe(200);
    expect(installed.headers.get('operation-location')).toMatch(/^\/v1\/operations\//);
    expect(await readDoc(installed, format)).toEqual({ flavor: { ...hpc.flavor, nodes: ['region-1'] } });
    expect((await catalogOf('region-1').getFlavor(hpc.flavor.id)).name).toBe(`hpc-${format}`);

    for (const id of [flavor.id, hpc.flavor.id]) expect((await client().delete(`/v1/flavors/${id}`)).status).toBe(204);
    await expect(catalogOf('region-1').getFlavor(hpc.flavor.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await client().get(`/v1/flavors/${flavor.id}`)).status).toBe(404);
  });

  it(`region flavors (${format}): list, create, get, delete in one region`, async () => {
    const created = await client().post('/v1/regions/region-2/flavors', spec(`TestNano-${format}`, 1, 2, 10, 0));
    expect(created.status).toBe(201);
    const { flavor } = await readDoc(created, format);
    expect(flavor).toEqual({ id: expect.any(String), name: `TestNano-${format}`, vcpus: 1, ram: 2, disk: 10, swap: 0, promoted: false, public: false, nodes: ['region-2'] });
    expect((await readDoc(await client().get('/v1/regions/region-2/flavors'), format)).flavors).toContainEqual(flavor);
    expect(await readDoc(await client().get(`/v1/region/region-2/flavors/${flavor.id}`), format)).toEqual({ flavor });
    expect((await client().delete(`/v1/region/region-2/flavors/${flavor.id}`)).status).toBe(204);
    const gone = await client().get(`/v1/region/region-2/flavors/${flavor.id}`);
    expect(gone.status).toBe(404);
    expect((await readDoc(gone, format)).error.message).toMatch(/does not exist in region region-2/);
  });

  it(`errors (${format}) come as the blueprint's error document`, async () => {
    const missing = await client().get('/v1/flavors/nope');
    expect(missing.status).toBe(404);
    expect(await readDoc(missing, format)).toEqual({ error: { message: 'The flavor nope does not exist' } });
    const bad = await client().post('/v1/flavors', x ? '<flavor><name>insane</name><vcpus>640</vcpus><disk>1</disk><swap>0</swap></flavor>' : { flavor: { name: 'insane', vcpus: 640, disk: 1, swap: 0 } });
    expect(bad.status).toBe(400);
    expect((await readDoc(bad, format)).error.message).toMatch(/flavor\.ram/);
  });
}

describe('blueprint examples in JSON', () => blueprintExamples('json'));
describe('blueprint examples in XML', () => blueprintExamples('xml'));

describe('flavor rules', () => {
  let privateId: string;

  it('validates every field and refuses a taken name, a bad body type or malformed documents', async () => {
    const taken = await manager.post('/v1/flavors', flavorBody('taken'));
    await manager.expect(taken, 201);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('taken')), 409, /already a flavor named taken/);
    await expectRefused(() => manager.post('/v1/promotedflavors', flavorBody('taken')), 409, /already a flavor named taken/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('v', { vcpus: 0 })), 400, /flavor\.vcpus/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('v', { ram: 'lots' })), 400, /flavor\.ram/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('v', { disk: -1 })), 400, /flavor\.disk/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('v', { swap: 1.5 })), 400, /flavor\.swap/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('', {})), 400, /flavor\.name/);
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('v', { id: 'mine' })), 400, /id/);
    await expectRefused(() => manager.post('/v1/flavors', '{"flavor":'), 400, /Malformed JSON/);
    await expectRefused(() => manager.post('/v1/flavors', 'name=v', { 'content-type': 'text/plain' }), 415, /Unrecognized content type/);
    await expectRefused(() => manager.post('/v1/flavors', 'name=v', { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' }), 415, /Unrecognized/, 'xml');
    const xml = flavorClient(stack, manager.token, 'xml');
    await expectRefused(() => xml.post('/v1/flavors', '<flavor><name>v</name>'), 400, /Malformed XML/, 'xml');
    await expectRefused(() => xml.post('/v1/flavors', '<!DOCTYPE x [<!ENTITY a "b">]><flavor/>'), 400, /DOCTYPE/, 'xml');
  });

  it('publishes and promotes once, in that order, never back (JSON and XML)', async () => {
    privateId = (await readDoc(await manager.post('/v1/flavors', flavorBody('my_flavor')), 'json')).flavor.id;
    const put = (body: unknown, client = manager) => client.put(`/v1/flavors/${privateId}`, body);
    const xml = flavorClient(stack, manager.token, 'xml');

    await expectRefused(() => put({ flavor: { promoted: true } }), 400, /must be public to be promoted/);
    await expectRefused(() => put({ flavor: { promoted: true, public: false } }), 400, /cannot be promoted and private/);
    await expectRefused(() => put({ flavor: {} }), 400, /at least one of public, promoted or nodes/);
    // Upstream's own bad requests: an unknown element, and a value that is not a boolean.
    await expectRefused(() => put('<flavor><promoted>false</promoted><published>true</published></flavor>', xml), 400, /published/, 'xml');
    await expectRefused(() => put('<flavor><public>1234</public></flavor>', xml), 400, /flavor\.public/, 'xml');

    const published = await put('<?xml version="1.0" encoding="UTF-8"?>\n<flavor>\n    <public>true</public>\n</flavor>', xml);
    expect(published.status).toBe(200);
    expect((await readDoc(published, 'xml')).flavor).toMatchObject({ public: true, promoted: false });
    await expectRefused(() => put({ flavor: { public: false } }), 409, /cannot be unpublished or unpromoted/);

    const promoted = await put({ flavor: { promoted: true } });
    expect((await readDoc(promoted, 'json')).flavor).toMatchObject({ public: true, promoted: true });
    await expectRefused(() => put({ flavor: { promoted: false } }), 409, /cannot be unpublished or unpromoted/);
    await expectRefused(() => put('<flavor><public>false</public></flavor>', xml), 409, /unpublished/, 'xml');

    // Created public and promoted in one request; promoted without public is refused.
    expect((await readDoc(await manager.post('/v1/flavors', flavorBody('tiny', { public: true, promoted: true })), 'json')).flavor).toMatchObject({ public: true, promoted: true });
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('half', { promoted: true })), 400, /must be public to be promoted/);
  });

  it('filters by ?public= and ?promoted= (false means false)', async () => {
    const names = async (query: string) => (await readDoc(await member.get(`/v1/flavors${query}`), 'json')).flavors.map((f: any) => f.name).sort();
    const all = await names('');
    expect(all).toEqual(expect.arrayContaining(['my_flavor', 'taken', 'tiny']));
    expect(await names('?public=true&promoted=true')).toEqual(['my_flavor', 'tiny']);
    expect(await names('?promoted=true')).toEqual(['my_flavor', 'tiny']);
    expect(await names('?public=false')).toEqual(['taken']);
    expect(await names('?promoted=false')).toEqual(all.filter((n: string) => !['my_flavor', 'tiny'].includes(n)));
    expect(await names('?public=true&promoted=false')).toEqual([]);
    expect(await names('?limit=1')).toEqual([all[0]]);
    const first = (await readDoc(await member.get('/v1/flavors?limit=1'), 'json')).flavors[0];
    expect(await names(`?marker=${first.id}`)).toEqual(all.slice(1));
    await expectRefused(() => member.get('/v1/flavors?public=yes'), 400, /public/);
    await expectRefused(() => member.get('/v1/flavors?marker=nope'), 400, /marker/);
  });

  it('keeps a promoted flavor with nodes, and refuses promotedflavors DELETE of an unpromoted one (405)', async () => {
    const nano = (await readDoc(await manager.post('/v1/promotedflavors', flavorBody('nano')), 'json')).flavor;
    await manager.expect(await manager.put(`/v1/flavors/${nano.id}`, { flavor: { nodes: ['region-1'] } }), 200);
    await expectRefused(() => manager.delete(`/v1/promotedflavors/${nano.id}`), 405, /still has nodes \(region-1\)/);
    const taken = (await readDoc(await member.get('/v1/flavors?public=false'), 'json')).flavors[0];
    await expectRefused(() => manager.delete(`/v1/promotedflavors/${taken.id}`), 405, /is not promoted/);
    await expectRefused(() => member.get(`/v1/promotedflavors/${taken.id}`), 404, /is not promoted/);
    await expectRefused(() => manager.delete('/v1/promotedflavors/nope'), 404, /does not exist/);
  });

  it('refuses an unknown node before anything starts (409), and unregistering a region still in use (409)', async () => {
    await expectRefused(() => manager.post('/v1/flavors', flavorBody('nowhere', { nodes: ['region-1', 'Mordor'] })), 409, /node Mordor does not exist/);
    await expectRefused(() => manager.put(`/v1/flavors/${privateId}`, { flavor: { nodes: ['Mordor'], public: true } }), 409, /node Mordor/);
    await expectRefused(() => manager.delete('/v1/infrastructures/region-1'), 409, /still being used: flavors nano are installed there/);
    await expectRefused(() => manager.delete('/v1/infrastructures/Mordor'), 404, /does not exist/);
  });

  it('answers region endpoints for unknown regions and flavors with 404, and a taken name in a region with 409', async () => {
    await expectRefused(() => member.get('/v1/regions/Mordor/flavors'), 404, /region Mordor does not exist/);
    await expectRefused(() => member.get('/v1/region/region-1/flavors/nope'), 404, /nope does not exist in region region-1/);
    await expectRefused(() => manager.post('/v1/regions/Mordor/flavors', flavorBody('x')), 404, /region Mordor/);
    await expectRefused(() => manager.delete('/v1/region/region-1/flavors/nope'), 404, /nope does not exist/);
    // nano is installed in region-1 under its own name.
    const before = await state();
    const clash = await manager.post('/v1/regions/region-1/flavors', flavorBody('nano'));
    expect(clash.status).toBe(409);
    expect((await readDoc(clash, 'json')).error.message).toMatch(/region-1 already has another flavor with that name/);
    expect({ ...(await state()), operations: before.operations }).toEqual(before); // only the failed operation was recorded
  });

  it('unregisters a region once nothing is installed there', async () => {
    const nano = (await readDoc(await member.get('/v1/promotedflavors'), 'json')).flavors.find((f: any) => f.name === 'nano');
    // Deleting the catalog flavor from the region through the region endpoint also forgets that node.
    expect((await manager.delete(`/v1/region/region-1/flavors/${nano.id}`)).status).toBe(204);
    expect((await readDoc(await member.get(`/v1/flavors/${nano.id}`), 'json')).flavor.nodes).toEqual([]);
    expect((await manager.delete(`/v1/promotedflavors/${nano.id}`)).status).toBe(204);
    expect((await admin.delete('/v1/infrastructures/region-1')).status).toBe(204);
    expect((await readDoc(await member.get('/v1/regions'), 'json')).Infrastructures).toEqual([{ id: 'region-2', name: 'region-2' }]);
    await registerRegion(stack, admin, 'region-1');
  });
});
