import { describe, expect, it } from 'vitest';
import { useTestCloud } from './support';

const t = useTestCloud();

async function call(method: string, path: string, body?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(t.sim.url + path, { method, body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

describe('input validation', () => {
  it.each([
    ['POST', '/vms', '{"name":"x","cpu":1,"memoryMb":1,"diskMb":1}', /^clientToken: /],
    ['POST', '/vms', '{"clientToken":"a","name":"x","cpu":"two","memoryMb":1,"diskMb":1}', /^cpu: /],
    ['POST', '/vms', '{"clientToken":"a","name":"x","cpu":0,"memoryMb":1,"diskMb":1}', /^cpu: /],
    ['POST', '/vms', '{"clientToken":"a","name":"x","cpu":1,"memoryMb":1,"diskMb":1,"requirements":{"GEO":5}}', /^requirements\.GEO: /],
    ['POST', '/vms', '{not json', /^body: malformed JSON/],
    ['POST', '/volumes', '{"clientToken":"a","name":"v"}', /^sizeMb: required/],
    ['POST', '/volumes', '{"clientToken":"a","name":"v","sizeMb":1,"contentBase64":"AAAA"}', /^sizeMb: give either/],
    ['POST', '/volumes', '{"clientToken":"a","name":"v","contentBase64":"%%%"}', /^contentBase64: must be base64/],
    ['PATCH', '/vms/x', '{"colour":"red"}', /colour/],
    ['POST', '/hosts', '{"region":"r","count":0}', /^count: /],
    ['POST', '/_chaos/faults', '{"probability":2}', /^probability: /],
    ['POST', '/_chaos/events', '{"type":"meteor"}', /^type: /],
    ['POST', '/_chaos/seed', '{"seed":-1}', /^seed: /],
    ['POST', '/_chaos/faults', '{"probability":1,"resource":"moon"}', /^resource: /],
    ['POST', '/_chaos/load', '{"target":"vm-1","metric":"cpu","value":"high"}', /^value: /],
    ['POST', '/_chaos/events', '{"type":"pod_crash"}', /^podId: /],
    ['POST', '/deployments', '{"clientToken":"a","name":"Web","image":"x","replicas":1,"cpu":1,"memoryMb":1}', /^name: must be a DNS label/],
    ['POST', '/deployments', '{"clientToken":"a","name":"web","image":"x","replicas":1,"cpu":0.0001,"memoryMb":1}', /^cpu: /],
    ['POST', '/deployments/dep-x/scale', '{"replicas":-1}', /^replicas: /],
    ['POST', '/builds', '{"clientToken":"a","name":"x","gitUrl":"ftp://host/repo.git"}', /^gitUrl: scheme ftp: is not supported/],
    ['POST', '/builds', '{"clientToken":"a","name":"x","gitUrl":"file:///r.git","dockerfilePath":"/etc/passwd"}', /^dockerfilePath: /],
  ])('%s %s %s → 400', async (method, path, body, message) => {
    const r = await call(method, path, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.message).toMatch(message);
  });

  it('rejects bad query values and changes nothing', async () => {
    const r = await call('GET', '/vms?state=flying');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^state: /);
    expect((await call('GET', '/vms')).body.vms).toEqual([]);
    expect((await call('GET', '/pods/pod-x/log?offset=-1')).body.error.message).toMatch(/^offset: /);
    expect((await call('GET', '/builds/build-x/log?waitMs=600000')).body.error.message).toMatch(/^waitMs: /);
  });

  it('answers JSON 404 for unknown routes and objects, 204 for idempotent deletes', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    expect((await call('GET', '/vms/vm-0')).body.error.code).toBe('not_found');
    expect((await call('DELETE', '/vms/vm-0')).status).toBe(204);
    expect((await call('GET', '/healthz')).body.ok).toBe(true);
  });
});
