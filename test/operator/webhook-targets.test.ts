import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventPumpWorkflowId } from '../../db/webhooks';
import { recordStatusChange } from '../../lib/events';
import { isPrivateAddress, refusedOnSight } from '../../lib/webhook-targets';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { startReceiver, type Receiver } from './webhook-receiver';

/**
 * Webhook targets inside the platform's network (server-side request forgery), as production
 * runs: WEBHOOK_ALLOW_PRIVATE_TARGETS=false. A literal private address or localhost is refused
 * when registered; a name that resolves to one is refused when delivering, before any request.
 */
describe('which addresses are private', () => {
  it('knows loopback, private, link-local, shared, multicast and mapped addresses; public ones pass', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1'])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses literal private addresses and localhost on sight, not public names', () => {
    expect(refusedOnSight('http://169.254.169.254/latest/meta-data')).toBe('169.254.169.254 is a private address');
    expect(refusedOnSight('http://[::1]:8080/')).toBe('::1 is a private address');
    expect(refusedOnSight('http://localhost:5432/')).toBe('localhost is this machine');
    expect(refusedOnSight('https://ci.example.com/hooks')).toBeNull();
  });
});

describe('with private targets refused (production)', () => {
  let stack: Stack;
  let receiver: Receiver;
  const admin = () => platformClient(stack);

  beforeAll(async () => {
    stack = await startStack({ config: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_INITIAL_BACKOFF_MS: '100', EVENTS_POLL_MS: '100', EVENTS_PUMP_RUN_MS: '5000' } });
    receiver = await startReceiver({ '/inside': () => 200 });
  });
  afterAll(async () => {
    if (stack) await stack.temporal.workflow.getHandle(eventPumpWorkflowId(stack.config.WORKFLOW_ID_PREFIX)).terminate('test over').catch(() => {});
    await receiver?.close();
    await stack?.stop();
  });

  it('refuses to register or re-point an endpoint at a private address, naming the field; nothing changes', async () => {
    const refused = await admin().post('/v1/projects/demo/webhooks', { url: receiver.url('/inside'), eventTypes: ['*'] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toMatch(/url: 127\.0\.0\.1 is a private address/);
    expect((await (await admin().get('/v1/projects/demo/webhooks')).json()).webhooks).toEqual([]);

    const created = await admin().post('/v1/projects/demo/webhooks', { url: 'https://hooks.example.com/provisio', eventTypes: ['operation.*'] });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const moved = await admin().request(`/v1/projects/demo/webhooks/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ url: 'http://localhost:5432/' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(moved.status).toBe(400);
    expect((await (await admin().get(`/v1/projects/demo/webhooks/${id}`)).json()).url).toBe('https://hooks.example.com/provisio');
    expect((await admin().request(`/v1/projects/demo/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses a delivery to a name that resolves to a private address, without sending it, and says why', async () => {
    // This machine's own name resolves to a loopback or private address on any ordinary host.
    const host = os.hostname();
    const addresses = await lookup(host, { all: true });
    expect(addresses.every((a) => isPrivateAddress(a.address))).toBe(true);
    const url = receiver.url('/inside').replace('127.0.0.1', host);
    const created = await admin().post('/v1/projects/demo/webhooks', { url, eventTypes: ['app.*'] });
    expect(created.status).toBe(201);
    const { id } = await created.json();

    await recordStatusChange(stack.db, { resource: 'app/5f0c', projectId: 'demo', status: 'RUNNING', previousStatus: 'DEPLOYNG', causedBy: 'op-ssrf' });
    const [delivery] = await waitFor(async () => {
      const list = (await (await admin().get(`/v1/projects/demo/webhooks/${id}/deliveries`)).json()).deliveries as any[];
      return list.length && list[0].state === 'failed' ? list : undefined;
    }, 60_000);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 1 });
    expect(JSON.stringify(delivery)).toMatch(new RegExp(`refused: ${host} resolves to a private address`));
    expect(receiver.at('/inside')).toEqual([]);
  });
});
