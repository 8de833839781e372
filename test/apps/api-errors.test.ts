import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { CLIENT, createApp, gitRepository, liveCounts, paasClient, seedCreateBody, smallApp, tokenRequest, V1, V2, waitForStatus, type PaasClient } from './support';

let stack: Stack;
let admin: PaasClient;
let repo: Awaited<ReturnType<typeof gitRepository>>;
/** An app of project demo, and one of project other. */
let demoApp: any;
let otherApp: any;

const count = async (table: 'apps' | 'app_services' | 'app_media_servers' | 'app_secrets' | 'operations') =>
  Number((await stack.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** Everything a rejected request could have changed. */
const state = async () => ({
  apps: await count('apps'),
  services: await count('app_services'),
  mediaServers: await count('app_media_servers'),
  secrets: await count('app_secrets'),
  operations: await count('operations'),
  cloud: await liveCounts(stack),
});

async function expectRejected(res: Response, status: number, message: RegExp) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(body).toMatchObject({ code: status, error: expect.any(String) });
  expect(body.message).toMatch(message);
}

beforeAll(async () => {
  stack = await startStack({ config: { APPS_AUTOSCALE_PERIOD_MS: String(3_600_000) }, simcloud: { buildStepMs: 20 } });
  repo = await gitRepository();
  const platform = platformClient(stack);
  expect((await platform.post('/v1/projects', { id: 'other', name: 'Other' })).status).toBe(201);
  expect((await platform.post('/v1/projects', { id: 'admin', name: 'admin' })).status).toBe(201);
  for (const [username, project, role] of [
    ['olga', 'other', 'member'],
    ['gus', 'demo', 'guest'],
  ] as const) {
    expect((await platform.post('/v1/users', { username, password: `${username}-pass`, defaultProjectId: project })).status).toBe(201);
    expect((await platform.post(`/v1/projects/${project}/members`, { username, role })).status).toBe(201);
  }
  admin = await paasClient(stack);
  const cache = { name: 'cache', dockerURL: 'redis:7', envVars: [{ name: 'PASSWORD', value: 's3cret' }] };
  demoApp = await createApp(admin, smallApp(repo.url, { name: 'demo-app', services: [cache] }));
  otherApp = await createApp(await paasClient(stack, 'olga', 'olga-pass', 'other'), smallApp(repo.url, { name: 'other-app' }));
  await waitForStatus(admin, demoApp.id, 'RUNNING');
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

describe('POST /oauth/token', () => {
  it('answers the seed’s token shape at the root and under the base paths', async () => {
    for (const at of ['/oauth/token', `${V1}/oauth/token`, `${V2}/oauth/token`]) {
      const res = await tokenRequest(stack, { username: 'admin', password: 'admin', grant_type: 'password' }, CLIENT, at);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      expect(Object.keys(body).sort()).toEqual(['additionalInformation', 'expiration', 'refreshToken', 'scope', 'tokenType', 'value']);
      expect(body).toMatchObject({ additionalInformation: {}, scope: ['read', 'write'], tokenType: 'bearer' });
      expect(body.expiration).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/);
      expect(body.refreshToken).toEqual({ expiration: expect.any(String), value: expect.stringMatching(/^pvo_/) });
      expect(body.value).toMatch(/^pvo_/);
    }
  });

  it('401 for a wrong client secret or password; 400 without or with an unknown grant', async () => {
    const wrongClient = `Basic ${Buffer.from('openbatonOSClient:nope').toString('base64')}`;
    const badClient = await tokenRequest(stack, { username: 'admin', password: 'admin', grant_type: 'password' }, wrongClient);
    expect(badClient.status).toBe(401);
    expect(await badClient.json()).toEqual({ error: 'invalid_client', error_description: 'Bad client credentials' });
    const badPassword = await tokenRequest(stack, { username: 'admin', password: 'nope', grant_type: 'password' });
    expect(badPassword.status).toBe(401);
    expect((await badPassword.json()).error).toBe('invalid_grant');
    expect((await tokenRequest(stack, { username: 'admin', password: 'admin' })).status).toBe(400);
    expect((await tokenRequest(stack, { grant_type: 'client_credentials' })).status).toBe(400);
  });

  it('refreshes once: a refresh token gives a new pair and stops working', async () => {
    const first = await (await tokenRequest(stack, { username: 'admin', password: 'admin', grant_type: 'password' })).json();
    const refreshed = await tokenRequest(stack, { grant_type: 'refresh_token', refresh_token: first.refreshToken.value });
    expect(refreshed.status).toBe(200);
    const second = await refreshed.json();
    expect(second.value).not.toBe(first.value);
    const list = await stack.request(`${V1}/app`, { headers: { authorization: `Bearer ${second.value}`, 'project-id': 'demo' } });
    expect(list.status).toBe(200);
    expect((await tokenRequest(stack, { grant_type: 'refresh_token', refresh_token: first.refreshToken.value })).status).toBe(401);
    // A refresh token is no access token.
    expect((await stack.request(`${V1}/app`, { headers: { authorization: `Bearer ${second.refreshToken.value}` } })).status).toBe(401);
  });
});

describe('access', () => {
  it('needs a Bearer token', async () => {
    await expectRejected(await stack.request(`${V1}/app`), 401, /authentication is required/);
    await expectRejected(await stack.request(`${V1}/app`, { headers: { authorization: 'Bearer pvo_nope' } }), 401, /Invalid or expired token/);
  });

  it('a project that is not the caller’s is 404; without project-id the default project is used', async () => {
    const olga = await paasClient(stack, 'olga', 'olga-pass', 'demo');
    await expectRejected(await olga.get(`${V1}/app`), 404, /Project with id demo was not found/);
    await expectRejected(await admin.request('GET', `${V1}/app`, undefined, { 'project-id': 'nowhere' }), 404, /nowhere/);
    const olgaDefault = await paasClient(stack, 'olga', 'olga-pass', null);
    expect((await (await olgaDefault.get(`${V1}/app`)).json()).map((a: any) => a.id)).toEqual([otherApp.id]);
  });

  it('another project’s app answers 404 on every endpoint', async () => {
    for (const path of [`${V1}/app/${otherApp.id}`, `${V1}/app/${otherApp.id}/buildlogs`, `${V2}/app/${otherApp.id}/media-server`]) {
      await expectRejected(await admin.get(path), 404, /not found/);
    }
    const before = await state();
    await expectRejected(await admin.delete(`${V1}/app/${otherApp.id}`), 404, /not found/);
    await expectRejected(await admin.post(`${V2}/app/${otherApp.id}/media-server`), 404, /not found/);
    await expectRejected(await admin.post(`${V1}/multipledelete`, [otherApp.id]), 404, /not found/);
    expect(await state()).toEqual(before);
  });

  it('the admin project sees every project’s apps', async () => {
    const all = await admin.request('GET', `${V1}/app`, undefined, { 'project-id': 'admin' });
    expect((await all.json()).map((a: any) => a.id).sort()).toEqual([demoApp.id, otherApp.id].sort());
    expect((await admin.request('GET', `${V1}/app/${otherApp.id}`, undefined, { 'project-id': 'admin' })).status).toBe(200);
  });

  it('a project named admin grants nothing to who is not a global admin (found by the isolation sweep): anyone may create one', async () => {
    const olga = await paasClient(stack, 'olga', 'olga-pass', 'admin');
    expect((await platformClient(stack).post('/v1/projects/admin/members', { username: 'olga', role: 'admin' })).status).toBe(201);
    expect(await (await olga.get(`${V1}/app`)).json()).toEqual([]);
    const before = await state();
    await expectRejected(await olga.get(`${V1}/app/${demoApp.id}`), 404, /not found/);
    await expectRejected(await olga.delete(`${V1}/app/${demoApp.id}`), 404, /not found/);
    await expectRejected(await olga.post(`${V1}/multipledelete`, [demoApp.id]), 404, /not found/);
    expect(await state()).toEqual(before);
  });

  it('a guest reads (env values masked) but changes nothing', async () => {
    const gus = await paasClient(stack, 'gus', 'gus-pass', 'demo');
    const seen = await (await gus.get(`${V1}/app/${demoApp.id}`)).json();
    expect(seen.services[0].envVars).toEqual([{ name: 'PASSWORD', value: '******' }]);
    expect(seen.envVars).toEqual([
      { name: 'CACHE_HOST', value: expect.stringMatching(/-svc\.demo\.svc\.cluster\.local$/) },
      { name: 'CACHE_PASSWORD', value: '******' },
    ]);
    expect((await (await admin.get(`${V1}/app/${demoApp.id}`)).json()).services[0].envVars).toEqual([{ name: 'PASSWORD', value: 's3cret' }]);
    const before = await state();
    await expectRejected(await gus.post(`${V1}/app`, smallApp(repo.url)), 403, /Guest is only allowed to execute GET/);
    await expectRejected(await gus.delete(`${V1}/app/${demoApp.id}`), 403, /Guest/);
    await expectRejected(await gus.post(`${V2}/app/${demoApp.id}/media-server`), 403, /Guest/);
    await expectRejected(await gus.put(`${V2}/app/${demoApp.id}/media-server/x/stop`), 403, /Guest/);
    expect(await state()).toEqual(before);
  });
});

describe('create: every rejected body changes nothing', () => {
  const seed = () => seedCreateBody(repo.url) as Record<string, any>;
  const cases: Array<[string, () => unknown, number, RegExp]> = [
    ['a name with a dot', () => ({ ...seed(), name: 'nubo.magic' }), 400, /^name: Name can't contain dots/],
    ['TURN without username', () => ({ ...seed(), turnServerUsername: undefined }), 428, /Turn server requires authentication parameters/],
    ['TURN without password', () => ({ ...seed(), turnServerPassword: null }), 428, /Turn server requires authentication parameters/],
    ['STUN without IP', () => ({ ...seed(), stunServerIp: undefined }), 400, /^stunServerIp: Is mandatory to specify Stun server address and Stun server port/],
    ['STUN without port', () => ({ ...seed(), stunServerPort: undefined }), 400, /^stunServerPort: Is mandatory/],
    ['an unknown flavor', () => ({ ...seed(), flavor: 'HUGE' }), 400, /^flavor: must be one of SMALL, MEDIUM, LARGE/],
    ['no flavor', () => ({ ...seed(), flavor: undefined }), 400, /^flavor: is required/],
    ['malformed JSON', () => '{"name": "x",', 400, /^Invalid JSON/],
    ['no gitURL', () => ({ ...seed(), gitURL: undefined }), 400, /^gitURL: /],
    ['a gitURL that is no git URL', () => ({ ...seed(), gitURL: 'ftp://example.org/x' }), 400, /^gitURL: must be a git URL/],
    ['a port out of range', () => ({ ...seed(), ports: [{ port: 70000 }] }), 400, /^ports\.0\.port: /],
    ['no media server', () => ({ ...seed(), numberOfInstances: 0 }), 400, /^numberOfInstances: /],
    ['an unknown quality of service', () => ({ ...seed(), qualityOfService: 'PLATINUM' }), 400, /^qualityOfService: /],
    ['scaleInOut and scaleOutLimit that disagree', () => ({ ...seed(), scaleOutLimit: 3 }), 400, /^scaleOutLimit: disagrees with scaleInOut \(1\)/],
    ['a service name that is no variable prefix', () => ({ ...seed(), services: [{ ...seed().services[0], name: 'my-sql' }] }), 400, /^services\.0\.name: /],
    ['two services of the same name', () => ({ ...seed(), services: [seed().services[0], seed().services[0]] }), 400, /^services\.1\.name: duplicates service mysql/],
    ['an unknown secret', () => ({ ...seed(), secretName: 'secret-nope' }), 400, /^secretName: no secret secret-nope/],
  ];

  it.each(cases)('%s', async (_name, body, status, message) => {
    const before = await state();
    await expectRejected(await admin.post(`${V1}/app`, body()), status, message);
    expect(await state()).toEqual(before);
  });
});

describe('secrets and server-ip', () => {
  it('stores a private key (never shown again) that an app can name; deletes it', async () => {
    const before = await state();
    await expectRejected(await admin.post(`${V1}/secret`, { privateKey: 'not a key' }), 400, /privateKey: must be a PEM private key/);
    expect(await state()).toEqual(before);
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
    const res = await admin.post(`${V1}/secret`, { projectName: 'demo', privateKey: key });
    expect(res.status).toBe(200);
    const name = await res.text();
    expect(name).toMatch(/^secret-[0-9a-f]{8}$/);
    const row = await stack.db.selectFrom('app_secrets').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    expect(row.private_key_sealed).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    const created = await createApp(admin, smallApp(repo.url, { name: 'with-secret', secretName: name }));
    expect(created.secretName).toBe(name);
    expect((await admin.delete(`${V1}/app/${created.id}`)).status).toBe(200);
    const deleted = await admin.delete(`${V1}/secret/demo/${name}`);
    expect(await deleted.json()).toEqual({ secretName: name, projectName: 'demo', code: 200 });
    await expectRejected(await admin.delete(`${V1}/secret/demo/${name}`), 404, /not found/);
  });

  it('documents every endpoint in /openapi.json', async () => {
    const doc = await (await stack.request('/openapi.json')).json();
    for (const path of ['/oauth/token', `${V1}/app`, `${V2}/app/{id}/media-server/{hostname}/stop`, `${V1}/app/{id}/logs/{podName}`, `${V1}/multipledelete`]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it('answers the media-server manager’s address', async () => {
    for (const path of [`${V1}/server-ip/`, `${V2}/server-ip`]) {
      const res = await admin.get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('127.0.0.1');
    }
  });
});
