import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import {
  apiToken,
  BASE,
  bigdata,
  cloudUsage,
  clusterOf,
  FABFILE,
  launch,
  MINIMAL_JSON,
  MINIMAL_YAML,
  nodesOf,
  registerProduct,
  servicesOf,
  SIZE_OPTIONS,
  userWithToken,
  waitForStatus,
  type Bigdata,
} from './support';

let stack: Stack;
let api: Bigdata;

const LAUNCH_STATUSES = ['registered', 'scheduling', 'scheduled', 'configuring', 'configured', 'ready'];
const statusesOf = (data: { history: Array<{ status: string }> }) => data.history.map((h) => h.status);

/** How many of a cluster's nodes got a deployment in simcloud (placed at some point). */
async function placedDeployments(uri: string): Promise<number> {
  const [owner, product, version, number] = uri.slice(`${BASE}/clusters/`.length).split('/');
  const rows = await stack.db
    .selectFrom('cluster_nodes')
    .innerJoin('clusters', 'clusters.id', 'cluster_nodes.cluster_id')
    .select('cluster_nodes.deployment_id')
    .where('owner_name', '=', owner!)
    .where('product', '=', product!)
    .where('version', '=', version!)
    .where('number', '=', Number(number))
    .execute();
  return rows.filter((r) => r.deployment_id).length;
}

/** A template whose nodes each take `opts.cpu` cores: big enough ones fill a host each. */
const SIZED = MINIMAL_JSON.replace('"cpu": 1', '"cpu": {{ opts.cpu }}');

beforeAll(async () => {
  stack = await startStack();
  api = bigdata(stack, await apiToken(stack));
  await registerProduct(api, { name: 'reference', version: '1.0.0-yaml', template: MINIMAL_YAML, templateType: 'application/yaml', options: { ...SIZE_OPTIONS, optional: { size: 2, cpu: 1 } } });
  await registerProduct(api, { name: 'bigfoot', version: '1.0', template: SIZED, options: { required: { size: 1 }, optional: { cpu: 48 }, advanced: {}, descriptions: {} } });
});
afterAll(async () => {
  await stack?.stop();
});

describe("the seed's flow through the API", () => {
  it('registers a product, uploads template, options and orchestrator, launches, follows the queue, reads nodes and services, deletes', async () => {
    const registered = await api.post('/products', { name: 'reference', version: '1.0.0', description: 'Reference product: minimal' });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('location')).toBe(`${BASE}/products/reference/1.0.0`);
    expect((await api.put('/products/reference/1.0.0/template', MINIMAL_JSON, 'application/json')).status).toBe(204);
    expect((await api.put('/products/reference/1.0.0/options', SIZE_OPTIONS)).status).toBe(204);
    // The seed uploads the fabfile to the `orquestrator` spelling with a JSON content type: the body is the script regardless.
    expect((await api.put('/products/reference/1.0.0/orquestrator', FABFILE, 'application/json')).status).toBe(204);

    expect(await (await api.get('/products')).json()).toEqual({ products: ['bigfoot', 'reference'] });
    const versions = await bigdata(stack, null).get('/products/reference'); // public
    expect(await versions.json()).toEqual({ versions: ['1.0.0-yaml', '1.0.0'] });
    expect(await (await api.get('/products/reference/1.0.0')).json()).toEqual({
      dn: 'products/reference/1.0.0',
      name: 'reference',
      version: '1.0.0',
      description: 'Reference product: minimal',
      logo_url: '',
      templatetype: 'json+jinja2',
    });
    const template = await api.get('/products/reference/1.0.0/template');
    expect(template.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await template.text()).toBe(MINIMAL_JSON);
    expect(await (await api.get('/products/reference/1.0.0/options')).json()).toEqual(SIZE_OPTIONS);
    expect(await (await api.get('/products/reference/1.0.0/orchestrator')).text()).toBe(FABFILE);

    const before = await cloudUsage(stack);
    const res = await api.post('/products/reference/1.0.0', { size: '3' }); // the seed sends the size as a string
    expect(res.status).toBe(202);
    const { url } = await res.json();
    expect(url).toMatch(new RegExp(`^${BASE}/queue/[0-9a-f-]{36}$`));
    expect(res.headers.get('location')).toBe(url);
    const operation = res.headers.get('operation-location')!;
    expect(operation).toMatch(/^\/v1\/operations\//);

    // The queue answers 200 pending until the cluster is registered, then 303 to it.
    const uri = `${BASE}/clusters/admin/reference/1.0.0/1`;
    const seen = new Set<string>();
    const redirect = await waitFor(async () => {
      const q = await api.get(url.slice(BASE.length));
      if (q.status === 200) expect(await q.json()).toEqual({ status: 'pending' });
      return q.status === 303 ? q : undefined;
    });
    expect(redirect.headers.get('location')).toBe(uri);
    expect(await redirect.json()).toEqual({ status: expect.any(String), url: uri });

    // Watch the statuses go by; the history records every one.
    const ready = await waitFor(async () => {
      const data = await clusterOf(api, uri);
      seen.add(data.status);
      return data.status === 'ready' || data.status === 'failed' ? data : undefined;
    }, 30_000, 10);
    expect(ready).toMatchObject({ status: 'ready', name: 'clusters--admin--reference--1__0__0--1', dn: 'clusters/admin/reference/1.0.0/1', id: 1, user: 'admin' });
    expect(statusesOf(ready)).toEqual(LAUNCH_STATUSES);
    for (const s of seen) expect(LAUNCH_STATUSES).toContain(s);

    // Three nodes (the option changed the count), each running with its host and address, spread over hosts.
    const nodes = await nodesOf(api, uri);
    expect(nodes.map((n: { name: string }) => n.name)).toEqual(['example0', 'example1', 'example2']);
    for (const n of nodes) {
      expect(n).toMatchObject({ dn: `clusters/admin/reference/1.0.0/1/nodes/${n.name}`, docker_image: 'centos:7.1.1503', cpu: 1, mem: 4096, status: 'running' });
      expect(n.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(n.networks).toEqual([
        { type: 'dynamic', networkname: 'admin', name: 'eth0', address: n.address },
        { type: 'dynamic', networkname: 'storage', name: 'eth1', address: null },
      ]);
      expect(n.disks).toEqual([
        { destination: '/storage1', name: 'disk4', host: n.host },
        { destination: '/storage2', name: 'disk5', host: n.host },
      ]);
    }
    expect(new Set(nodes.map((n: { host: string }) => n.host)).size).toBe(3);

    // The service lists its nodes and what the orchestrator step did on each.
    const [service] = await servicesOf(api, uri);
    expect(service).toMatchObject({ dn: 'clusters/admin/reference/1.0.0/1/services/service1', name: 'service1', status: 'configured', nodes: ['example0', 'example1', 'example2'] });
    for (const n of nodes) expect(service.output).toContain(`[${n.address}] start: service service1 on node ${n.name} (host ${n.host})`);

    // simcloud really holds them: three more pods, each one's CPU and memory used on its host.
    const during = await cloudUsage(stack);
    expect(during.pods).toBe(before.pods + 3);
    expect(during.usedCpu).toBeCloseTo(before.usedCpu + 3);
    expect(during.usedMemoryMb).toBe(before.usedMemoryMb + 3 * 4096);
    const hostIds = (await stack.cloud.listPods()).map((p) => p.hostId);
    for (const hostId of hostIds) expect(during.hosts[hostId]!.usedMemoryMb - before.hosts[hostId]!.usedMemoryMb).toBe(4096);

    // The launch is an operation on the cluster's resource, visible in the Temporal UI under its ResourceId.
    const op = await (await platformClient(stack).get(operation)).json();
    expect(op).toMatchObject({ type: 'launchCluster', status: 'completed', resource: { type: 'cluster', id: ready.resource } });
    expect(op.steps.map((s: { name: string; state: string }) => `${s.name}:${s.state}`)).toEqual([
      'Register:completed',
      'Place nodes:completed',
      'Wait for nodes:completed',
      'Configure:completed',
      'Mark ready:completed',
    ]);
    const query = `ResourceId = '${ready.resource}' AND TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`;
    const listed = await waitFor(async () => {
      const found = [];
      for await (const wf of stack.temporal.workflow.list({ query })) found.push(wf.type);
      return found.length ? found : undefined;
    });
    expect(listed).toEqual(['launchCluster']);

    // Delete: 200 once every node is released; the cluster stays, destroyed.
    const deleted = await api.delete(uri.slice(BASE.length));
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ message: 'success' });
    expect(deleted.headers.get('operation-location')).toMatch(/^\/v1\/operations\//);
    const destroyed = await clusterOf(api, uri);
    expect(destroyed.status).toBe('destroyed');
    expect(statusesOf(destroyed)).toEqual([...LAUNCH_STATUSES, 'destroyed']);
    expect((await nodesOf(api, uri)).map((n: { status: string; address: string | null }) => [n.status, n.address])).toEqual(Array(3).fill(['stopped', null]));
    expect(await cloudUsage(stack)).toEqual(before);
    expect(await (await api.delete(uri.slice(BASE.length))).json()).toEqual({ message: 'success' }); // idempotent
  });

  it('renders a YAML template; cluster ids count 1, 2, 3… per user, product and version', async () => {
    const first = await launch(api, 'reference', '1.0.0-yaml', { cpu: 0.5 });
    const second = await launch(api, 'reference', '1.0.0-yaml', { size: 1 });
    expect([first.uri, second.uri]).toEqual([`${BASE}/clusters/admin/reference/1.0.0-yaml/1`, `${BASE}/clusters/admin/reference/1.0.0-yaml/2`]);
    await waitForStatus(api, first.uri, 'ready');
    await waitForStatus(api, second.uri, 'ready');
    const yamlNodes = await nodesOf(api, first.uri);
    expect(yamlNodes.map((n: { cpu: number }) => n.cpu)).toEqual([0.5, 0.5]);
    // Networks keep the template's order: the first one carries the pod's address.
    expect(yamlNodes[0].networks).toEqual([
      { type: 'dynamic', name: 'storage', address: yamlNodes[0].address },
      { type: 'dynamic', name: 'admin', address: null },
    ]);
    expect(await nodesOf(api, second.uri)).toHaveLength(1);
    const [service] = await servicesOf(api, first.uri);
    expect(service).toMatchObject({ name: 'service1', heap: 1024, nodes: ['example0', 'example1'], status: 'configured' });
    expect(service.output).toEqual(['no orchestrator registered for this product version: nothing to configure']);

    const list = await (await api.get('/clusters/admin/reference/1.0.0-yaml')).json();
    expect(list.clusters.map((c: { uri: string }) => c.uri)).toEqual([first.uri, second.uri]);
    const page = await (await api.get('/clusters?limit=1')).json();
    expect(page.clusters).toHaveLength(1);
    expect(page.next).toMatch(/^\/bigdata\/api\/v1\/clusters\?limit=1&cursor=\d+$/);
    expect((await api.delete(first.uri.slice(BASE.length))).status).toBe(200);
    // Prefer: respond-async answers at once; the cluster reads destroyed when the release is done.
    const accepted = await api.delete(second.uri.slice(BASE.length), { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ message: 'destroying', url: second.uri });
    expect(accepted.headers.get('operation-location')).toMatch(/^\/v1\/operations\//);
    await waitForStatus(api, second.uri, 'destroyed');
  });

  it('nodes go pending → queued → running', async () => {
    // Slow cloud calls hold each node status long enough to be seen.
    await stack.cloud.addFaultRule({ operation: 'createDeployment', resource: 'deployment', probability: 1, latencyMs: 2000 });
    await stack.cloud.addFaultRule({ operation: 'listPods', resource: 'pod', probability: 1, latencyMs: 2000 });
    try {
      const { uri } = await launch(api, 'reference', '1.0.0-yaml', { size: 1 });
      const nodeStatus = async () => (await nodesOf(api, uri))[0]?.status;
      expect(await waitFor(async () => ((await nodeStatus()) === 'pending' ? 'pending' : undefined))).toBe('pending');
      expect(await waitFor(async () => ((await nodeStatus()) === 'queued' ? 'queued' : undefined))).toBe('queued');
      await stack.cloud.clearFaults();
      await waitForStatus(api, uri, 'ready');
      expect(await nodeStatus()).toBe('running');
      expect((await api.delete(uri.slice(BASE.length))).status).toBe(200);
    } finally {
      await stack.cloud.clearFaults();
    }
  });
});

describe('failures leave nothing behind', () => {
  it('a cluster too large for the hosts fails with the reason, and the nodes already placed are removed', async () => {
    const before = await cloudUsage(stack);
    // 48 cores a node: one node per 64-core host, and a region has 4 hosts.
    const { uri, operation } = await launch(api, 'bigfoot', '1.0', { size: 6 });
    const failed = await waitForStatus(api, uri, 'failed', 'ready');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^node example\d \(48 CPU, 4096 MB\) cannot be placed in region-1: /);
    expect(statusesOf(failed)).toEqual(['registered', 'scheduling', 'failed']);

    const nodes = await nodesOf(api, uri);
    const placed = nodes.filter((n: { status: string }) => n.status === 'stopped');
    const refused = nodes.filter((n: { status: string }) => n.status === 'failed');
    expect(placed).toHaveLength(4); // placed, then rolled back
    expect(refused).toHaveLength(2);
    expect(await placedDeployments(uri)).toBe(4);
    for (const n of refused) expect(n.error).toMatch(/cannot be placed/);
    expect(await cloudUsage(stack)).toEqual(before);

    const op = await (await platformClient(stack).get(operation)).json();
    expect(op).toMatchObject({ status: 'failed', error: { type: 'CapacityError' } });
    expect(op.steps.find((s: { name: string }) => s.name === 'Place nodes').state).toBe('compensated');

    // A failed cluster can be deleted: nothing is left to release, and it reads destroyed with its reason.
    expect(await (await api.delete(uri.slice(BASE.length))).json()).toEqual({ message: 'success' });
    expect(await clusterOf(api, uri)).toMatchObject({ status: 'destroyed', error: failed.error });
  });

  it('a cancelled launch removes the nodes it placed and ends failed', async () => {
    const before = await cloudUsage(stack);
    await stack.cloud.addFaultRule({ operation: 'createDeployment', resource: 'deployment', probability: 1, latencyMs: 1500 });
    try {
      const res = await api.post('/products/bigfoot/1.0', { size: 2, cpu: 1 });
      const operation = res.headers.get('operation-location')!;
      const platform = platformClient(stack);
      await waitFor(async () => {
        const op = await (await platform.get(operation)).json();
        return op.steps.find((s: { name: string }) => s.name === 'Place nodes')?.state === 'running' ? true : undefined;
      });
      const { url } = await res.json();
      const uri = (await api.get(url.slice(BASE.length))).headers.get('location')!;
      // A DELETE while the launch works is refused, naming the launch and how to cancel it.
      const busy = await api.delete(uri.slice(BASE.length));
      expect(busy.status).toBe(409);
      expect((await busy.json()).message).toContain(`cancel it with POST ${operation}/cancel`);

      expect((await platform.post(`${operation}/cancel`)).status).toBe(202);
      await waitFor(async () => ((await (await platform.get(operation)).json()).status === 'cancelled' ? true : undefined));
      const failed = await clusterOf(api, uri);
      expect(failed).toMatchObject({ status: 'failed', error: 'launch cancelled' });
      expect((await nodesOf(api, uri)).map((n: { status: string }) => n.status)).toEqual(['stopped', 'stopped']);
      expect(await placedDeployments(uri)).toBe(2); // both were placed before the compensation removed them
    } finally {
      await stack.cloud.clearFaults();
    }
    expect(await cloudUsage(stack)).toEqual(before);
  });

  it('a template that renders an invalid document fails the launch with the reason and places nothing', async () => {
    await registerProduct(api, { name: 'hollow', version: '1', template: '{"dnsname": "{{ clusterid }}", "nodes": {}, "services": {}}' });
    const before = await cloudUsage(stack);
    const { uri } = await launch(api, 'hollow', '1');
    const failed = await waitForStatus(api, uri, 'failed');
    expect(failed.error).toBe('the rendered document is invalid: nodes: declares no node');
    expect(statusesOf(failed)).toEqual(['failed']);
    expect(await nodesOf(api, uri)).toEqual([]);
    expect(await cloudUsage(stack)).toEqual(before);
  });

  it('an orchestrator that fails configuring releases every node', async () => {
    await registerProduct(api, { name: 'misroled', version: '1', template: MINIMAL_JSON, options: SIZE_OPTIONS, orchestrator: "@roles('namenode')\ndef start(): pass\n" });
    const before = await cloudUsage(stack);
    const { uri } = await launch(api, 'misroled', '1');
    const failed = await waitForStatus(api, uri, 'failed', 'ready');
    expect(failed.error).toBe("the orchestrator uses role 'namenode', but the cluster has no such service");
    expect(statusesOf(failed)).toEqual(['registered', 'scheduling', 'scheduled', 'configuring', 'failed']);
    expect((await nodesOf(api, uri)).map((n: { status: string }) => n.status)).toEqual(['stopped', 'stopped']);
    const [service] = await servicesOf(api, uri);
    expect(service).toMatchObject({ status: 'failed', output: [expect.stringMatching(/^orchestrator sha256:/), `failed: ${failed.error}`] });
    expect(await cloudUsage(stack)).toEqual(before);
  });
});

describe('clusters belong to their user', () => {
  it("another user's cluster answers 404 and is absent from lists; a global admin sees every cluster", async () => {
    const bob = bigdata(stack, await userWithToken(stack, 'bob'));
    const carol = bigdata(stack, await userWithToken(stack, 'carol'));
    const mine = await launch(bob, 'reference', '1.0.0-yaml', { size: 1 });
    expect(mine.uri).toBe(`${BASE}/clusters/bob/reference/1.0.0-yaml/1`);
    await waitForStatus(bob, mine.uri, 'ready');
    const path = mine.uri.slice(BASE.length);

    for (const p of [path, `${path}/nodes`, `${path}/services`, mine.queue.slice(BASE.length)]) {
      const res = await carol.get(p);
      expect(res.status, p).toBe(404);
      expect((await res.json()).error).toBe('not found');
    }
    expect((await carol.delete(path)).status).toBe(404);
    expect(await (await carol.get('/clusters')).json()).toEqual({ clusters: [] });
    expect(await (await carol.get('/clusters/bob')).json()).toEqual({ clusters: [] });
    expect((await (await bob.get('/clusters')).json()).clusters.map((c: { uri: string }) => c.uri)).toEqual([mine.uri]);
    expect((await (await api.get('/clusters/bob')).json()).clusters.map((c: { uri: string }) => c.uri)).toEqual([mine.uri]);
    expect((await clusterOf(bob, mine.uri)).status).toBe('ready');
    expect((await bob.delete(path)).status).toBe(200);
  });
});
