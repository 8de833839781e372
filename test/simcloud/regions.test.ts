import { afterEach, describe, expect, it } from 'vitest';
import type { RegionEndpoint } from '../../cloud/contract';
import { smallVm, token, useTestCloud, failure } from './support';

const t = useTestCloud({ username: 'ops', password: 'region-pass' });
afterEach(async () => {
  await t.client.clearFaults();
});

const endpoint = (region: string, password = 'region-pass'): RegionEndpoint => ({ url: t.sim.url, region, username: 'ops', password });

describe('region flavor catalogs', () => {
  it('checks credentials: missing or wrong → 401 unauthorized; right → accepted', async () => {
    expect(await t.client.regionCatalog(endpoint('region-1')).verifyCredentials()).toBeUndefined();
    expect(await failure(t.client.regionCatalog(endpoint('region-1', 'wrong')).verifyCredentials())).toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
    expect(await failure(t.client.regionCatalog({ ...endpoint('region-1'), username: 'root' }).listFlavors())).toMatchObject({ code: 'unauthorized' });
    const bare = await fetch(`${t.sim.url}/regions/region-1/flavors`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await bare.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await failure(t.client.regionCatalog(endpoint('region-9')).listFlavors())).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('keeps one catalog per region: create, get, list, delete; ids idempotent, names unique', async () => {
    const one = t.client.regionCatalog(endpoint('region-1'));
    const two = t.client.regionCatalog(endpoint('region-2'));
    const small = { id: 'm1.small', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 };
    const created = await one.createFlavor(small);
    expect(created).toMatchObject({ ...small, swap: 0, public: false, region: 'region-1' });
    expect(await one.createFlavor(small)).toEqual(created); // same id and name: the same flavor
    expect(await failure(one.createFlavor({ ...small, name: 'm1.other' }))).toMatchObject({ code: 'exists', status: 409, retryable: false });
    expect(await failure(one.createFlavor({ ...small, id: undefined }))).toMatchObject({ code: 'exists' });
    const generated = await one.createFlavor({ name: 'm1.large', vcpus: 4, ram: 8192, disk: 80, public: true });
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);

    expect(await two.listFlavors()).toEqual([]); // another region, another catalog
    expect((await two.createFlavor(small)).region).toBe('region-2');
    expect((await one.listFlavors()).map((f) => f.name).sort()).toEqual(['m1.large', 'm1.small']);
    expect(await one.getFlavor('m1.small')).toEqual(created);
    await one.deleteFlavor('m1.small');
    await one.deleteFlavor('m1.small');
    expect(await failure(one.getFlavor('m1.small'))).toMatchObject({ code: 'not_found' });
    expect((await two.getFlavor('m1.small')).region).toBe('region-2');
    expect(await failure(one.createFlavor({ name: '', vcpus: 0, ram: 1, disk: 0 }))).toMatchObject({ code: 'invalid' });
    expect((await t.client.health()).flavors).toBe(2);
  });

  it('a region added with a host gets its own catalog', async () => {
    await t.client.addHosts({ region: 'region-new', cpu: 8, memoryMb: 8192, diskMb: 10_000 });
    const catalog = t.client.regionCatalog(endpoint('region-new'));
    await catalog.verifyCredentials();
    expect(await catalog.listFlavors()).toEqual([]);
  });
});

describe('faults that target a region', () => {
  it('makes one region unreachable while the others work', async () => {
    const c = t.client;
    const rule = await c.addFaultRule({ region: 'region-2', probability: 1, status: 503 });
    expect((await c.listFaultRules())[0]).toMatchObject({ id: rule.id, region: 'region-2' });

    expect(await failure(c.regionCatalog(endpoint('region-2')).listFlavors())).toMatchObject({ code: 'unavailable', status: 503 });
    expect(await c.regionCatalog(endpoint('region-1')).listFlavors()).toBeInstanceOf(Array);
    expect(await failure(c.createVm(smallVm({ region: 'region-2' })))).toMatchObject({ code: 'unavailable' });
    const vm = await c.createVm(smallVm({ region: 'region-1' }));
    expect(await failure(c.listHosts({ region: 'region-2' }))).toMatchObject({ code: 'unavailable' });
    expect((await c.listHosts({ region: 'region-1' })).length).toBeGreaterThan(0);
    const [host2] = (await c.listHosts()).filter((h) => h.region === 'region-2'); // unfiltered: not regional
    expect(await failure(c.getHost(host2!.id))).toMatchObject({ code: 'unavailable' });
    expect((await c.getVm(vm.id)).region).toBe('region-1');
    const dep = { clientToken: token('dep'), name: 'd', image: 'x:1', replicas: 1, cpu: 0.1, memoryMb: 64 };
    expect(await failure(c.createDeployment({ ...dep, region: 'region-2' }))).toMatchObject({ code: 'unavailable' });
    expect((await c.createDeployment({ ...dep, region: 'region-1' })).region).toBe('region-1');
  });

  it('makes objects living in a region unreachable, and slows a region down', async () => {
    const c = t.client;
    const vm = await c.createVm(smallVm({ region: 'region-2' }));
    await c.addFaultRule({ region: 'region-2', resource: 'vm', probability: 1, mode: 'error', status: 503 });
    expect(await failure(c.getVm(vm.id))).toMatchObject({ code: 'unavailable' });
    expect(await failure(c.deleteVm(vm.id))).toMatchObject({ code: 'unavailable' });
    await c.clearFaults();

    await c.addFaultRule({ region: 'region-1', operation: 'listFlavors', probability: 1, latencyMs: 300 });
    const started = Date.now();
    await c.regionCatalog(endpoint('region-1')).listFlavors();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const slowOnly = await c.listFaultRules();
    expect(slowOnly[0]).toMatchObject({ mode: 'latency', hits: 1 });
    await c.regionCatalog(endpoint('region-2')).listFlavors();
    expect((await c.listFaultRules())[0]!.hits).toBe(1); // the other region drew nothing
  });
});
