import { afterEach, describe, expect, it } from 'vitest';
import { smallVm, token, useTestCloud, failure } from './support';

const t = useTestCloud({ seed: 42 });
afterEach(async () => {
  await t.client.clearFaults();
});


describe('clientToken idempotency', () => {
  it('returns the same VM for a repeated token, concurrent or sequential', async () => {
    const c = t.client;
    const req = smallVm();
    const [a, b] = await Promise.all([c.createVm(req), c.createVm(req)]);
    expect(b.id).toBe(a.id);
    expect((await c.createVm(req)).id).toBe(a.id);
    expect((await c.listVms()).filter((v) => v.name === req.name)).toHaveLength(1);
    const vreq = { clientToken: token('vol'), name: 'v', sizeMb: 10 };
    expect((await c.createVolume(vreq)).id).toBe((await c.createVolume(vreq)).id);
    const sreq = { clientToken: token('snap'), vmId: a.id, name: 's' };
    expect((await c.createSnapshot(sreq)).id).toBe((await c.createSnapshot(sreq)).id);
  });

  it('a lost response still created the VM once; the retry with the same token gets it', async () => {
    const c = t.client;
    await c.addFaultRule({ operation: 'createVm', probability: 1, mode: 'lost_response' });
    const req = smallVm();
    const err = await failure(c.createVm(req));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    await c.clearFaults();
    const vm = await c.createVm(req);
    expect((await c.listVms()).filter((v) => v.name === req.name).map((v) => v.id)).toEqual([vm.id]);
  });
});

describe('fault rules', () => {
  it('error rules answer the status without acting, mapped to CloudError codes', async () => {
    const c = t.client;
    const rule = await c.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1 });
    const before = (await c.listVms()).length;
    expect(await failure(c.createVm(smallVm()))).toMatchObject({ code: 'unavailable', status: 503 });
    expect((await c.listVms()).length).toBe(before); // listVms is not targeted
    await c.removeFaultRule(rule.id);
    await c.addFaultRule({ operation: 'createVm', probability: 1, status: 409, code: 'capacity' });
    expect(await failure(c.createVm(smallVm()))).toMatchObject({ code: 'capacity', retryable: false });
    await c.clearFaults();
    await c.addFaultRule({ resource: 'host', probability: 1, status: 404 });
    expect((await failure(c.listHosts()))?.code).toBe('not_found');
    expect((await c.listRegions()).length).toBeGreaterThan(0); // other resources unaffected
  });

  it('latency rules delay; client timeouts surface as unavailable', async () => {
    await t.client.addFaultRule({ operation: 'getHost', probability: 1, latencyMs: 300 });
    const started = Date.now();
    await t.client.getHost('host-0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const { SimcloudClient } = await import('../../cloud/simcloud-client');
    const impatient = new SimcloudClient(t.sim.url, { timeoutMs: 50 });
    expect(await failure(impatient.getHost('host-0'))).toMatchObject({ code: 'unavailable' });
  });

  it('the same seed gives the same sequence of faults', async () => {
    const c = t.client;
    await c.addFaultRule({ operation: 'getHost', probability: 0.5 });
    const pattern = async () => {
      await c.setSeed(1234);
      const out: string[] = [];
      for (let i = 0; i < 24; i++) out.push((await failure(c.getHost('host-0'))) ? 'x' : '.');
      return out.join('');
    };
    const first = await pattern();
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern()).toBe(first);
    const rules = await c.listFaultRules();
    const faults = (first.match(/x/g) ?? []).length;
    expect(rules[0]!.hits).toBe(2 * faults); // both runs drew the same faults
  });
});
