import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let kahu: KahuSession;
let location: string;
let createOp: string;
let startOp: string;

beforeAll(async () => {
  stack = await startStack();
  kahu = await kahuSession(stack);
  const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'ops' });
  location = created.headers.get('location')!;
  createOp = (await created.json()).operation;
  startOp = (await (await kahu.post(`${location}start`)).json()).operation;
});
afterAll(async () => {
  await stack?.stop();
});

describe('/v1/operations', () => {
  it('describes a finished operation: status, type, resource, steps, times and the Temporal UI link', async () => {
    const op = await (await platformClient(stack).get(createOp)).json();
    const n = location.split('/')[4];
    expect(op).toMatchObject({
      status: 'completed',
      type: 'createInstance',
      resource: { type: 'instance', id: `instance/${n}` },
      projectId: 'demo',
      phase: 'completed',
      error: null,
      workflowId: `${stack.config.WORKFLOW_ID_PREFIX}instance/${n}`,
    });
    expect(op.summary).toMatch(/^Create instance \d+/);
    expect(op.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['Allocate VM', 'completed'],
      ['Build VM', 'completed'],
      ['Mark stopped', 'completed'],
    ]);
    expect(Date.parse(op.endedAt)).toBeGreaterThanOrEqual(Date.parse(op.startedAt));
    expect(op.temporalUiUrl).toBe(
      `${stack.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(op.workflowId)}/${op.runId}/history`,
    );
  });

  it('follows the link with the Kahu session cookie too', async () => {
    const res = await kahu.get(createOp);
    expect(res.status).toBe(200);
    expect((await res.json()).type).toBe('createInstance');
  });

  it("lists a resource's operations newest first", async () => {
    const n = location.split('/')[4];
    const res = await platformClient(stack).get(`/v1/operations?resource=instance/${n}`);
    expect(res.status).toBe(200);
    const { operations } = await res.json();
    expect(operations.map((o: { type: string }) => o.type)).toEqual(['startInstance', 'createInstance']);
    expect(operations[0].id).toBe(startOp.split('/').pop());
  });

  it('validates its inputs and hides what the caller cannot see', async () => {
    const platform = platformClient(stack);
    expect((await platform.get('/v1/operations/not-a-uuid')).status).toBe(400);
    expect((await platform.get('/v1/operations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bad = await platform.get('/v1/operations?resource=instance%2042');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/^resource: /);
    expect((await platform.get('/v1/operations?limit=1000')).status).toBe(400);
    expect((await stack.request(createOp)).status).toBe(401);
  });

  it('refuses to cancel an operation that already ended', async () => {
    const res = await platformClient(stack).post(`${createOp}/cancel`);
    expect(res.status).toBe(409);
  });

  it('a guest may read but not cancel', async () => {
    const platform = platformClient(stack);
    expect((await platform.post('/v1/users', { username: 'gus', password: 'gus-pass' })).status).toBe(201);
    expect((await platform.post('/v1/projects/demo/members', { username: 'gus', role: 'guest' })).status).toBe(201);
    const gus = platformClient(stack, 'gus', 'gus-pass');
    expect((await gus.get(createOp)).status).toBe(200);
    expect((await gus.post(`${createOp}/cancel`)).status).toBe(403);
    // Nor may a guest mutate compute resources.
    const guestKahu = await kahuSession(stack, 'gus', 'gus-pass');
    expect((await guestKahu.post(`/v0/tenant/demo/compute/instance/${location.split('/')[4]}/stop`)).status).toBe(403);
  });
});

describe('platform endpoints', () => {
  it('serves /healthz, /readyz, /openapi.json and /docs', async () => {
    expect((await stack.request('/healthz')).status).toBe(200);
    const ready = await stack.request('/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toEqual({ postgres: 'ok', temporal: 'ok', worker: 'ok' });
    const doc = await (await stack.request('/openapi.json')).json();
    for (const path of ['/v1/operations/{id}', '/v0/compute/instance', '/v0/compute/instance/{n}/start', '/v0/auth/login', '/v1/users']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await stack.request('/docs')).status).toBe(200);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await stack.request('/nope');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  it('rejects a malformed Idempotency-Key with 400', async () => {
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb' }, { 'idempotency-key': 'has spaces' });
    expect(res.status).toBe(400);
  });
});
