import { keepState, operationIdOf, stateOf, untilDone, type BenchClient, type BenchSurface } from './driver';

/**
 * BigData PaaS clusters (/bigdata/api/v1, an `x-auth-token`): launch a two-node cluster of a
 * registered product, then destroy it.
 */

const BASE = '/bigdata/api/v1';
const PRODUCT = `${BASE}/products/bench/1.0.0`;

/** Two nodes (opts.size) of one service, each a one-CPU pod. */
const TEMPLATE = `{% set comma = joiner(",") %}
{ "dnsname": "{{ clusterid }}",
  "nodes": { {% for n in range(0, opts['size']) %}{{ comma() }} "node{{ n }}": {
      "docker_image": "centos:7.1.1503", "cpu": 1, "mem": 1024,
      "disks": {}, "networks": { "eth0": { "type": "dynamic", "networkname": "admin" } } }{% endfor %} },
  "services": { "service1": { "nodes": [{% set comma = joiner(",") %}{% for n in range(0, opts['size']) %}{{ comma() }}"node{{ n }}"{% endfor %}] } } }
`;
const OPTIONS = { required: {}, optional: { size: 2 }, advanced: {}, descriptions: { size: 'number of nodes' } };
const ORCHESTRATOR = "@task\n@roles('service1')\ndef start():\n    run('hostname')\n";

const token = (client: BenchClient, contentType?: string) => ({ 'x-auth-token': client.apiToken, ...(contentType ? { 'content-type': contentType } : {}) });

export const clusters: BenchSurface = {
  surface: 'clusters',
  /** The product every launch uses: its version, template, options and orchestrator. */
  async prepare(client) {
    const body = JSON.stringify({ name: 'bench', version: '1.0.0', description: 'the operations bench' });
    await client.request('POST', `${BASE}/products`, { headers: token(client, 'application/json'), body, expected: 201 });
    await client.request('PUT', `${PRODUCT}/template`, { headers: token(client, 'application/json'), body: TEMPLATE, expected: 204 });
    await client.request('PUT', `${PRODUCT}/options`, { headers: token(client, 'application/json'), body: JSON.stringify(OPTIONS), expected: 204 });
    await client.request('PUT', `${PRODUCT}/orchestrator`, { headers: token(client, 'text/x-python'), body: ORCHESTRATOR, expected: 204 });
  },
  // A launch places, waits for and configures its nodes: 8 at 1 client and 20 at 10, as apps deploys.
  counts: { one: 8, many: 20 },
  operations: [
    {
      surface: 'clusters',
      operation: 'launch',
      workflowType: 'launchCluster',
      // Register, configure, mark ready; place the nodes, wait for them.
      shape: { localActivities: 3, activities: 2 },
      async run(client, i) {
        // 202 at once with the queue entry; measured to the operation's end (ready), then the
        // queue tells the cluster's URI (303), as a client learns it.
        const res = await client.request('POST', PRODUCT, { headers: token(client, 'application/json'), body: JSON.stringify({ size: 2 }), expected: 202 });
        const operationId = operationIdOf(res.headers.get('operation-location'));
        await untilDone(client, operationId);
        const queued = await client.request('GET', res.headers.get('location')!, { headers: token(client), expected: 303 });
        keepState(client, 'clusters', i, queued.headers.get('location')!);
        return operationId;
      },
    },
    {
      surface: 'clusters',
      operation: 'destroy',
      workflowType: 'destroyCluster',
      shape: { localActivities: 1, activities: 1 },
      async run(client, i) {
        const res = await client.request('DELETE', stateOf<string>(client, 'clusters', i), { headers: token(client), expected: 200 });
        return operationIdOf(res.headers.get('operation-location'));
      },
    },
  ],
};
