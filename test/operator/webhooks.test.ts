import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventPumpWorkflowId } from '../../db/webhooks';
import { recordStatusChange } from '../../lib/events';
import { SIGNATURE_HEADER, verifySignature } from '../../lib/webhook-signature';
import { kahuSession, type KahuSession } from '../support/kahu';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { startReceiver, type Receiver, type ReceivedWebhook } from './webhook-receiver';

/**
 * Webhooks end to end: real operations on a real platform, the event pump on the worker, and a
 * real HTTP receiver that checks signatures, answers 500 a few times, hangs, or is dead.
 */
let stack: Stack;
let kahu: KahuSession;
let receiver: Receiver;
const hooks: Record<string, { id: string; secret: string }> = {};
let releaseSlow: () => void = () => {};
const slowReleased = new Promise<void>((resolve) => {
  releaseSlow = resolve;
});

const admin = () => platformClient(stack);
const header = (r: ReceivedWebhook, name: string) => String(r.headers[name.toLowerCase()] ?? '');
const forOperation = (path: string, operationId: string) => receiver.at(path).filter((r) => r.body?.data?.operation?.id === operationId);
const opIdOf = async (res: Response) => ((await res.json()) as { operation: string }).operation.split('/').pop()!;

async function register(name: string, eventTypes: string[]) {
  const res = await admin().post('/v1/projects/demo/webhooks', { url: receiver.url(`/${name}`), eventTypes, description: name });
  expect(res.status).toBe(201);
  const body = await res.json();
  hooks[name] = { id: body.id, secret: body.secret };
  return body;
}

async function deliveriesOf(name: string) {
  const res = await admin().get(`/v1/projects/demo/webhooks/${hooks[name]!.id}/deliveries?limit=100`);
  expect(res.status).toBe(200);
  return (await res.json()).deliveries as any[];
}

vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  stack = await startStack({
    config: {
      WEBHOOK_MAX_ATTEMPTS: '4',
      WEBHOOK_INITIAL_BACKOFF_MS: '100',
      WEBHOOK_MAX_BACKOFF_MS: '400',
      WEBHOOK_TIMEOUT_MS: '3000',
      EVENTS_POLL_MS: '100',
      EVENTS_PUMP_RUN_MS: '5000',
    },
  });
  kahu = await kahuSession(stack);
  receiver = await startReceiver({
    // Fails the first two attempts of every delivery, then accepts.
    '/flaky': (req, previous) => (previous.filter((p) => header(p, 'provisio-delivery') === header(req, 'provisio-delivery')).length < 2 ? 500 : 200),
    '/failures': () => 200,
    '/dead': () => 503,
    // Holds its first request until the test releases it.
    '/slow': async (_req, previous) => {
      if (!previous.length) await slowReleased;
      return 200;
    },
    '/apps': () => 204,
  });
});
afterAll(async () => {
  releaseSlow();
  if (stack) await stack.temporal.workflow.getHandle(eventPumpWorkflowId(stack.config.WORKFLOW_ID_PREFIX)).terminate('test over').catch(() => {});
  await receiver?.close();
  await stack?.stop();
});

describe('webhook endpoints', () => {
  it('registers endpoints: the secret is shown once and stored sealed', async () => {
    const body = await register('flaky', ['operation.*']);
    expect(body).toMatchObject({ projectId: 'demo', url: receiver.url('/flaky'), eventTypes: ['operation.*'], enabled: true });
    expect(body.secret).toMatch(/^whsec_/);
    await register('failures', ['operation.failed']);
    await register('dead', ['operation.completed']);
    await register('slow', ['operation.completed']);
    await register('apps', ['app.*']);

    const listed = await (await admin().get('/v1/projects/demo/webhooks')).json();
    expect(listed.webhooks).toHaveLength(5);
    expect(JSON.stringify(listed)).not.toContain(body.secret);
    const row = await stack.db.selectFrom('webhook_endpoints').select('secret_sealed').where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(body.secret);
  });

  it('rejects bad input naming the field, and hides other projects', async () => {
    const bad = async (body: unknown, field: string) => {
      const res = await admin().post('/v1/projects/demo/webhooks', body);
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(new RegExp(`^${field}`));
    };
    await bad({ url: 'ftp://example.com/x', eventTypes: ['*'] }, 'url');
    await bad({ url: 'https://example.com/x', eventTypes: [] }, 'eventTypes');
    await bad({ url: 'https://example.com/x', eventTypes: ['Not A Type'] }, 'eventTypes.0');
    await bad({ url: 'https://example.com/x', eventTypes: ['*'], secret: 'short' }, 'secret');
    expect((await admin().get('/v1/projects/nope/webhooks')).status).toBe(404);
    expect((await admin().get(`/v1/projects/demo/webhooks/00000000-0000-4000-8000-000000000000`)).status).toBe(404);

    expect((await admin().post('/v1/users', { username: 'mel', password: 'mel-pass', defaultProjectId: 'demo' })).status).toBe(201);
    expect((await admin().post('/v1/projects/demo/members', { username: 'mel', role: 'member' })).status).toBe(201);
    expect((await platformClient(stack, 'mel', 'mel-pass').get('/v1/projects/demo/webhooks')).status).toBe(403);
  });
});

describe('deliveries', () => {
  let createOp: string;

  it('delivers a finished operation, signed, retrying after 500s, while a slow endpoint never delays the operation', async () => {
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'hooked' });
    expect(res.status).toBe(201); // the operation completed, whatever the endpoints do
    createOp = await opIdOf(res);

    const delivered = await waitFor(async () => {
      const got = forOperation('/flaky', createOp);
      return got.some((r) => r.answered === 200) ? got : undefined;
    }, 60_000);
    expect(delivered.map((r) => [header(r, 'provisio-attempt'), r.answered])).toEqual([
      ['1', 500],
      ['2', 500],
      ['3', 200],
    ]);
    for (const r of delivered) {
      expect(verifySignature(hooks.flaky!.secret, r.rawBody, header(r, SIGNATURE_HEADER))).toBe(true);
      expect(verifySignature('someone-elses-secret', r.rawBody, header(r, SIGNATURE_HEADER))).toBe(false);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(header(delivered[0]!, SIGNATURE_HEADER)).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivered[0]!.body).toMatchObject({
      type: 'operation.completed',
      projectId: 'demo',
      data: { operation: { id: createOp, type: 'createInstance', status: 'completed', error: null, link: `/v1/operations/${createOp}` } },
    });
    expect(header(delivered[0]!, 'provisio-event-id')).toBe(delivered[0]!.body.id);

    // The slow endpoint still holds its request, and the operation finished long ago.
    const held = await waitFor(async () => receiver.at('/slow').find((r) => r.answered === null));
    expect(held.body.data.operation.id).toBe(createOp);
    expect((await (await admin().get(`/v1/operations/${createOp}`)).json()).status).toBe('completed');
    releaseSlow();
  });

  it('keeps a delivery log per endpoint with every attempt', async () => {
    const [delivery] = (await deliveriesOf('flaky')).filter((d) => d.event.operationId === createOp);
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 3, lastStatusCode: 200, redeliveryOf: null, event: { type: 'operation.completed' } });
    const detail = await (await admin().get(`/v1/projects/demo/webhooks/${hooks.flaky!.id}/deliveries/${delivery.id}`)).json();
    expect(detail.attemptLog.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
    expect(detail.payload).toEqual(forOperation('/flaky', createOp)[0]!.body);
    expect((await deliveriesOf('failures')).length).toBe(0); // subscribed to operation.failed only
  });

  it('gives up after the configured attempts on a dead endpoint, and logs why', async () => {
    const delivery = await waitFor(async () => (await deliveriesOf('dead')).find((d) => d.event.operationId === createOp && d.state !== 'pending'), 60_000);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 4, lastStatusCode: 503 });
    expect(forOperation('/dead', createOp).map((r) => r.answered)).toEqual([503, 503, 503, 503]);
  });

  it('delivers a failed operation with its error to endpoints subscribed to failures', async () => {
    expect((await kahu.post('/v0/compute/size/', { name: 'colossal', ncpu: '256', memory: '4000000' })).status).toBe(201);
    const res = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: 'colossal', name: 'too-big' });
    expect(res.status).toBe(409);
    const failedOp = (await res.json()).details.operation.split('/').pop();
    const [got] = await waitFor(async () => {
      const r = forOperation('/failures', failedOp);
      return r.length ? r : undefined;
    }, 60_000);
    expect(got!.body).toMatchObject({ type: 'operation.failed', data: { operation: { id: failedOp, status: 'failed', error: { type: 'CapacityError' } } } });
    expect(verifySignature(hooks.failures!.secret, got!.rawBody, header(got!, SIGNATURE_HEADER))).toBe(true);
    expect(receiver.at('/failures').every((r) => r.body.type === 'operation.failed')).toBe(true);
  });

  it('redelivers on request as a new delivery of the same event', async () => {
    const [original] = (await deliveriesOf('flaky')).filter((d) => d.event.operationId === createOp && !d.redeliveryOf);
    const res = await admin().post(`/v1/projects/demo/webhooks/${hooks.flaky!.id}/deliveries/${original.id}/redeliver`);
    expect(res.status).toBe(202);
    const again = await res.json();
    expect(again).toMatchObject({ redeliveryOf: original.id, state: 'pending', event: { id: original.event.id } });
    expect(again.id).not.toBe(original.id);
    await waitFor(async () => ((await deliveriesOf('flaky')).find((d) => d.id === again.id)?.state === 'succeeded' ? true : undefined), 60_000);
    const byDelivery = forOperation('/flaky', createOp).filter((r) => header(r, 'provisio-delivery') === again.id);
    expect(byDelivery.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(byDelivery.every((r) => r.body.id === original.event.id)).toBe(true);
  });

  it('receives each event once, however many times the pump rescans', async () => {
    // Another operation later: by the time it is delivered the pump has rescanned the first one many times.
    const n = (await stack.db.selectFrom('instances').select('id').where('name', '=', 'hooked').executeTakeFirstOrThrow()).id;
    const started = await kahu.post(`/v0/compute/instance/${n}/start`);
    expect(started.status).toBe(200);
    const startOp = await opIdOf(started);
    await waitFor(async () => (forOperation('/flaky', startOp).some((r) => r.answered === 200) ? true : undefined), 60_000);

    for (const op of [createOp, startOp]) {
      const accepted = forOperation('/flaky', op).filter((r) => r.answered === 200);
      const deliveries = new Set(accepted.map((r) => header(r, 'provisio-delivery')));
      expect(accepted.length).toBe(deliveries.size); // one success per delivery
      expect(await stack.db.selectFrom('events').select('id').where('operation_id', '=', op).execute()).toHaveLength(1);
    }
    expect(forOperation('/flaky', startOp).filter((r) => r.answered === 200)).toHaveLength(1);
    expect(forOperation('/slow', createOp).filter((r) => r.answered === 200)).toHaveLength(1);
  });

  it('delivers domain status changes recorded with recordStatusChange, once per cause', async () => {
    const change = { resource: 'app/0b7c5a4e', projectId: 'demo', status: 'RUNNING', previousStatus: 'DEPLOYNG', causedBy: 'op-42' };
    expect(await recordStatusChange(stack.db, change)).toEqual({ recorded: true });
    expect(await recordStatusChange(stack.db, change)).toEqual({ recorded: false }); // a retry
    const [got] = await waitFor(async () => (receiver.at('/apps').length ? receiver.at('/apps') : undefined), 60_000);
    expect(got!.body).toMatchObject({
      type: 'app.status_changed',
      resource: 'app/0b7c5a4e',
      data: { resource: { type: 'app', id: 'app/0b7c5a4e' }, status: 'RUNNING', previousStatus: 'DEPLOYNG' },
    });
    expect(verifySignature(hooks.apps!.secret, got!.rawBody, header(got!, SIGNATURE_HEADER))).toBe(true);
  });

  it('stops delivering to a disabled endpoint, and forgets a deleted one', async () => {
    const res = await admin().request(`/v1/projects/demo/webhooks/${hooks.apps!.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: false }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).enabled).toBe(false);
    const [delivery] = await deliveriesOf('apps');
    expect((await admin().post(`/v1/projects/demo/webhooks/${hooks.apps!.id}/deliveries/${delivery.id}/redeliver`)).status).toBe(409);
    expect((await admin().request(`/v1/projects/demo/webhooks/${hooks.apps!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin().get(`/v1/projects/demo/webhooks/${hooks.apps!.id}`)).status).toBe(404);
  });
});
