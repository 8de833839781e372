/**
 * BigData clusters under chaos: a product version is registered with a template (nodes placed as
 * simcloud pods, spread over hosts), options and an orchestrator; each lifecycle launches a
 * cluster of it (until ready, or failed with the reason) and destroys it: 2 operations on
 * `cluster/<id>`. Every tenth lifecycle registers a product version of its own first.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { moreThanOnce, type ChaosDriver, type DriverContext } from './types';

const BASE = '/bigdata/api/v1';
const headers = (ctx: DriverContext, contentType = 'application/json') => ({ 'x-auth-token': ctx.client.credentials.token, 'content-type': contentType });

const TEMPLATE = `{% set comma = joiner(",") %}
{ "dnsname": "{{ clusterid }}",
  "nodes": { {% for n in range(0, opts['size']) %}{{ comma() }} "node{{ n }}": {
      "docker_image": "centos:7.1.1503", "cpu": 1, "mem": 512,
      "disks": { "disk1": { "destination": "/data" } },
      "networks": { "eth0": { "type": "dynamic", "networkname": "admin" } } }{% endfor %} },
  "services": { "workers": { "nodes": [{% set comma = joiner(",") %}{% for n in range(0, opts['size']) %}{{ comma() }}"node{{ n }}"{% endfor %}] } } }
`;
const ORCHESTRATOR = "@task\n@roles('workers')\ndef start():\n    run('hostname')\n";

const productName = (ctx: DriverContext) => `${ctx.runId}-p`;
let versions: string[] = [];

/** Registers a product version (plain requests: the catalog is no operation); true when it is usable. */
async function registerVersion(ctx: DriverContext, version: string): Promise<boolean> {
  const name = productName(ctx);
  const path = `${BASE}/products/${name}/${version}`;
  const steps: Array<[string, string, string | undefined, string, number[]]> = [
    ['POST', `${BASE}/products`, JSON.stringify({ name, version, description: `chaos ${version}` }), 'application/json', [201, 409]],
    ['PUT', `${path}/template`, TEMPLATE, 'application/json', [204]],
    ['PUT', `${path}/options`, JSON.stringify({ required: {}, optional: { size: 2 }, advanced: {}, descriptions: { size: 'nodes' } }), 'application/json', [204]],
    ['PUT', `${path}/orchestrator`, ORCHESTRATOR, 'text/x-python', [204]],
  ];
  for (const [method, p, body, type, accept] of steps) {
    const answer = await ctx.client.send('clusters', method, p, { body, headers: headers(ctx, type), key: method === 'POST' ? `${ctx.runId}-${version}` : undefined });
    if (!answer || !accept.includes(answer.status)) {
      ctx.ledger.of('clusters').refused++;
      ctx.ledger.of('clusters').refusals.push(`register ${name} ${version}: ${answer ? `${answer.status} ${answer.text.slice(0, 160)}` : 'no answer'}`);
      return false;
    }
  }
  return true;
}

interface ClusterRow {
  id: number;
  owner_name: string;
  product: string;
  version: string;
  number: number;
  status: string;
}

const clusterPath = (c: ClusterRow) => `${BASE}/clusters/${c.owner_name}/${c.product}/${c.version}/${c.number}`;

async function destroy(ctx: DriverContext, c: ClusterRow): Promise<boolean> {
  await ctx.client.step('clusters', { type: 'destroyCluster', resource: `cluster/${c.id}`, method: 'DELETE', path: clusterPath(c), headers: headers(ctx), accept: [200, 202] });
  const row = await ctx.db.selectFrom('clusters').select('status').where('id', '=', c.id).executeTakeFirst();
  return !row || row.status === 'destroyed';
}

export const clusterDriver: ChaosDriver = {
  surface: 'clusters',

  async setup(ctx) {
    versions = [];
    if (!(await registerVersion(ctx, '1.0.0'))) throw new Error('clusters: could not register the product');
    versions.push('1.0.0');
  },

  async lifecycle(ctx, index) {
    let version = versions[0]!;
    if (index % 10 === 9 && !ctx.stopping()) {
      const own = `1.${index}.0`;
      if (await registerVersion(ctx, own)) version = own;
    }
    const request = `${ctx.runId}-k${index}`;
    const launch = await ctx.client.step('clusters', {
      type: 'launchCluster',
      method: 'POST',
      path: `${BASE}/products/${productName(ctx)}/${version}`,
      // `request` is no option the template reads: it tells the audit which launch request made the cluster.
      body: JSON.stringify({ size: 2, request }),
      headers: headers(ctx),
      cancellable: true,
      accept: [202],
    });
    let row: ClusterRow | undefined;
    if (launch.operationId) {
      const op = await ctx.db.selectFrom('operations').select('resource_id').where('id', '=', launch.operationId).executeTakeFirst();
      const id = Number(op?.resource_id.split('/')[1]);
      if (Number.isInteger(id)) row = await ctx.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirst();
    }
    row ??= await ctx.db
      .selectFrom('clusters')
      .selectAll()
      .where((eb) => eb(eb.ref('options', '->>').key('request' as never), '=', request))
      .executeTakeFirst();
    if (!row || ctx.keep()) return;
    await destroy(ctx, row);
  },

  async cleanup(ctx, deadline) {
    let left: ClusterRow[] = [];
    while (Date.now() < deadline) {
      left = await ctx.db.selectFrom('clusters').selectAll().where('status', '!=', 'destroyed').execute();
      if (!left.length) return [];
      await Promise.all(left.map((c) => destroy(ctx, c)));
      await pause(2_000);
    }
    return left.map((c) => `cluster/${c.id} (${c.status})`);
  },

  async owned(ctx) {
    const rows = await ctx.db
      .selectFrom('cluster_nodes as n')
      .innerJoin('clusters as c', 'c.id', 'n.cluster_id')
      .select(['c.id', 'n.deployment_id'])
      .where('c.status', 'not in', ['destroyed', 'failed'])
      .where('n.deployment_id', 'is not', null)
      .execute();
    return rows.map((r) => ({ kind: 'deployment' as const, id: r.deployment_id!, owner: `cluster/${r.id}` }));
  },

  claims(obj, ctx) {
    return obj.kind === 'deployment' && obj.object.name.startsWith(`${ctx.cluster.workflowIdPrefix.toLowerCase()}c`);
  },

  async ownerOf(obj, ctx) {
    if (obj.kind !== 'deployment') return undefined;
    const m = new RegExp(`^${ctx.cluster.workflowIdPrefix.toLowerCase()}c(\\d+)-n`).exec(obj.object.name);
    return m ? `cluster/${m[1]}` : undefined;
  },

  async duplicates(ctx, cloud) {
    const rows = await ctx.db.selectFrom('clusters').select(['id', 'status', 'options']).execute();
    const prefix = `${ctx.cluster.workflowIdPrefix.toLowerCase()}c`;
    return [
      ...moreThanOnce(
        rows,
        (r) => (r.options as unknown as Record<string, unknown>)?.request as string | undefined,
        (req, g) => `launch ${req}: ${g.length} clusters for one request (${g.map((r) => `cluster/${r.id} ${r.status}`).join(', ')})`,
      ),
      // One node → one live deployment (its name is derived from the cluster and the node).
      ...moreThanOnce(cloud.deployments.filter((d) => d.name.startsWith(prefix)), (d) => d.name, (name, g) => `node deployment ${name}: ${g.length} live copies`),
    ];
  },

  async leftovers(ctx) {
    const rows = await ctx.db.selectFrom('clusters').select(['id', 'status']).where('status', 'not in', ['destroyed', 'failed']).execute();
    return rows.map((r) => `cluster/${r.id} (${r.status})`);
  },
};
