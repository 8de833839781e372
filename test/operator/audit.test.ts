import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { srClient, waitForState } from '../runtimes/support';

let stack: Stack;
let kahu: KahuSession;
let instanceN: string;
let createOpId: string;
let runtimeId: number;
let runtimeOpId: string;

const admin = () => platformClient(stack);

/** Every audit entry the admin can read with these filters, following the cursor. */
async function auditPages(query: string, client = admin(), limit = 3) {
  const entries: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await client.get(`/v1/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    entries.push(...body.entries);
    cursor = body.nextCursor;
  } while (cursor);
  return entries;
}

beforeAll(async () => {
  stack = await startStack();
  kahu = await kahuSession(stack);
  const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'audited' });
  expect(created.status).toBe(201);
  instanceN = created.headers.get('location')!.split('/')[4]!;
  createOpId = (await created.json()).operation.split('/').pop();

  const sr = srClient(stack);
  const res = await sr.post('/serverless-runtimes', { SERVERLESS_RUNTIME: { FAAS: { FLAVOUR: 'nature' }, SCHEDULING: {}, DEVICE_INFO: {} } });
  expect(res.status).toBe(201);
  runtimeId = (await res.json()).SERVERLESS_RUNTIME.ID;
  runtimeOpId = res.headers.get('operation-location')!.split('/').pop()!;
  await waitForState(sr, runtimeId, 'RUNNING');
});
afterAll(async () => {
  await stack?.stop();
});

describe('the audit trail', () => {
  it('records a Kahu mutation (session cookie): who, project, route template, resource, operation, request id, status', async () => {
    const [entry] = await auditPages(`resource=instance/${instanceN}&action=POST`);
    expect(entry).toMatchObject({
      user: { username: 'admin' },
      projectId: 'demo',
      method: 'POST',
      route: '/v0/compute/instance',
      action: 'POST /v0/compute/instance',
      path: '/v0/compute/instance/',
      resource: `instance/${instanceN}`,
      operation: { id: createOpId, link: `/v1/operations/${createOpId}` },
      status: 201,
      outcome: 'success',
    });
    expect(entry.requestId).toMatch(/\S/);
    expect(Date.parse(entry.occurredAt)).toBeGreaterThan(Date.now() - 600_000);
  });

  it('records a runtimes mutation (HTTP Basic) with its project and operation', async () => {
    const [entry] = await auditPages(`resource=runtime/${runtimeId}`);
    expect(entry).toMatchObject({
      user: { username: 'admin' },
      projectId: 'demo',
      action: 'POST /serverless-runtimes',
      operation: { id: runtimeOpId },
      status: 201,
    });
  });

  it('records the request id the caller sent, and a route template rather than the raw path', async () => {
    const res = await kahu.request(`/v0/compute/instance/${instanceN}/start`, { method: 'POST', headers: { 'x-request-id': 'audit-req-1' } });
    expect(res.status).toBe(200);
    const operationId = (await res.json()).operation.split('/').pop();
    const [entry] = (await auditPages(`resource=instance/${instanceN}`)).filter((e) => e.requestId === 'audit-req-1');
    expect(entry).toMatchObject({ route: '/v0/compute/instance/:n/start', path: `/v0/compute/instance/${instanceN}/start`, operation: { id: operationId } });
  });

  it('records refusals: a guest (403, with the project), an anonymous caller (401), a second start (400)', async () => {
    expect((await admin().post('/v1/users', { username: 'gwen', password: 'gwen-pass' })).status).toBe(201);
    expect((await admin().post('/v1/projects/demo/members', { username: 'gwen', role: 'guest' })).status).toBe(201);
    const guest = await kahuSession(stack, 'gwen', 'gwen-pass');
    expect((await guest.post(`/v0/tenant/demo/compute/instance/${instanceN}/stop`)).status).toBe(403);
    expect((await stack.request(`/v0/compute/instance/${instanceN}/stop`, { method: 'POST' })).status).toBe(401);
    expect((await kahu.post(`/v0/compute/instance/${instanceN}/start`)).status).toBe(400);

    const [denied] = await auditPages('outcome=403&action=POST /v0/tenant/:tenant/compute/instance/:n/stop');
    expect(denied).toMatchObject({ status: 403, user: { username: 'gwen' }, projectId: 'demo', operation: null, path: `/v0/tenant/demo/compute/instance/${instanceN}/stop` });
    const [anonymous] = await auditPages('outcome=failure&action=POST /v0/compute/instance/:n/stop');
    expect(anonymous).toMatchObject({ status: 401, user: null, projectId: null, operation: null });
    expect((await auditPages('outcome=400')).some((e) => e.path === `/v0/compute/instance/${instanceN}/start`)).toBe(true);
  });

  it('links a cancelled operation to the cancel request', async () => {
    const res = await kahu.post(`/v0/compute/instance/${instanceN}/stop`, {}, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const opId = (await res.json()).operation.split('/').pop();
    const cancel = await admin().post(`/v1/operations/${opId}/cancel`);
    expect([202, 409]).toContain(cancel.status); // 409 when the stop already finished
    const [entry] = await auditPages('action=POST /v1/operations/:id/cancel');
    expect(entry).toMatchObject({ projectId: 'demo', operation: { id: opId } });
  });

  it('never records secrets: no password, token, cookie or body', async () => {
    const res = await admin().post('/v1/auth/tokens', { name: 'audit-test', ttlSeconds: 3600 });
    expect(res.status).toBe(201);
    const { token } = await res.json();
    const rows = await stack.db.selectFrom('audit_log').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const secret of [token, 'admin:admin', 'gwen-pass', kahu.cookie.split('=')[1]!]) expect(dump).not.toContain(secret);
    expect(rows.find((r) => r.route === '/v1/auth/tokens')).toMatchObject({ method: 'POST', status: 201 });
  });

  it('skips reads and unmatched paths', async () => {
    const before = (await stack.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    await kahu.get(`/v0/compute/instance/${instanceN}`);
    await stack.request('/no/such/route', { method: 'POST' });
    const after = (await stack.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    expect(after).toBe(before);
  });

  it('is append-only: Postgres refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(stack.db.updateTable('audit_log').set({ status: 200 }).execute()).rejects.toThrow(/append-only/);
    await expect(stack.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(stack.db)).rejects.toThrow(/append-only/);
    expect((await auditPages('')).length).toBeGreaterThan(5);
  });
});

describe('GET /v1/audit', () => {
  it('pages with a cursor, newest first, without gaps or repeats', async () => {
    const all = (await (await admin().get('/v1/audit?limit=200')).json()).entries;
    const paged = await auditPages('', admin(), 2);
    expect(paged.map((e) => e.id)).toEqual(all.map((e: any) => e.id));
    const ids = paged.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('filters by user, project, action and time range', async () => {
    const gwen = await auditPages('user=gwen');
    expect(gwen.length).toBeGreaterThan(0);
    expect(gwen.every((e) => e.user.username === 'gwen')).toBe(true);
    expect((await auditPages('project=demo')).every((e) => e.projectId === 'demo')).toBe(true);
    expect((await auditPages('action=DELETE')).length).toBe(0);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await auditPages(`since=${encodeURIComponent(future)}`)).length).toBe(0);
    expect((await auditPages(`until=${encodeURIComponent(future)}`)).length).toBeGreaterThan(0);
  });

  it('rejects bad filters with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['outcome=maybe', 'outcome'],
      ['action=GET', 'action'],
      ['since=yesterday', 'since'],
      ['cursor=bogus', 'cursor'],
      ['limit=0', 'limit'],
    ]) {
      const res = await admin().get(`/v1/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).error.message).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('is for global admins and managers; a manager sees only their projects', async () => {
    expect((await admin().post('/v1/projects', { id: 'acme' })).status).toBe(201);
    expect((await admin().post('/v1/users', { username: 'mia', password: 'mia-pass', defaultProjectId: 'acme' })).status).toBe(201);
    expect((await admin().post('/v1/projects/acme/members', { username: 'mia', role: 'manager' })).status).toBe(201);
    const mia = platformClient(stack, 'mia', 'mia-pass');
    // A mutation in acme by the manager herself.
    expect((await mia.post('/v1/projects/acme/members', { username: 'gwen', role: 'member' })).status).toBe(201);

    const seen = (await (await mia.get('/v1/audit?limit=200')).json()).entries;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e: any) => e.projectId === 'acme')).toBe(true);
    expect((await mia.get('/v1/audit?project=demo')).status).toBe(404);
    expect((await mia.get('/v1/audit?project=acme')).status).toBe(200);

    const gwen = platformClient(stack, 'gwen', 'gwen-pass'); // guest in demo, member in acme
    expect((await gwen.get('/v1/audit')).status).toBe(403);
    expect((await gwen.get('/v1/audit?project=acme')).status).toBe(403);
    expect((await stack.request('/v1/audit')).status).toBe(401);
  });
});
