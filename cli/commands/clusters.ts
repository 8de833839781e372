import type { Command } from 'commander';
import { contextOf } from '../context';
import { usageError } from '../errors';
import { readJsonOption } from '../input';

/** clusters: the BigData PaaS (/bigdata/api/v1), x-auth-token. A cluster is `<user>/<product>/<version>/<id>`. */

const BASE = '/bigdata/api/v1';
const auth = { auth: 'x-auth-token' as const };
const clusterPath = (ref: string) => {
  const parts = ref.replace(/^\/?(bigdata\/api\/v1\/)?clusters\//, '').split('/').filter(Boolean);
  if (parts.length !== 4 || !/^\d+$/.test(parts[3]!)) throw usageError(`cluster: "${ref}" is not <user>/<product>/<version>/<id>`);
  return `${BASE}/clusters/${parts.map(encodeURIComponent).join('/')}`;
};

interface ClusterView {
  uri: string;
  data: { name: string; status: string; id: number; user: string; product: string; version: string; error?: string };
}

export function registerClusterCommands(program: Command): void {
  const clusters = program.command('clusters').alias('cluster').description('Big-data clusters (BigData PaaS)');

  clusters.command('list').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${BASE}/clusters`, auth);
    const list = (Array.isArray(body) ? body : (body?.clusters ?? [])) as ClusterView[];
    ctx.out.table(list, [
      { header: 'CLUSTER', value: (c) => (c.data ? `${c.data.user}/${c.data.product}/${c.data.version}/${c.data.id}` : c.uri) },
      { header: 'NAME', value: (c) => c.data?.name },
      { header: 'STATUS', value: (c) => c.data?.status },
    ], body);
  });

  clusters.command('get <cluster>').action(async (ref: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(clusterPath(ref), auth);
    ctx.out.record({ uri: body.uri, ...(body.data ?? {}) }, body);
  });

  clusters
    .command('launch <product> <version>')
    .description('Launch a cluster of a product version with options (key=value, or a JSON file)')
    .option('-o, --option <key=value>', 'an option (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--options-file <file.json>', 'options as a JSON object')
    .option('-w, --watch', 'follow the launch operation until it ends')
    .action(async (product: string, version: string, opts: { option?: string[]; optionsFile?: string; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      let options: Record<string, unknown> = {};
      if (opts.optionsFile) options = await readJsonOption('--options-file', opts.optionsFile);
      for (const kv of opts.option ?? []) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw usageError(`--option: "${kv}" is not key=value`);
        const raw = kv.slice(eq + 1);
        options[kv.slice(0, eq)] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
      }
      const res = await (await ctx.client()).request('POST', `${BASE}/products/${encodeURIComponent(product)}/${encodeURIComponent(version)}`, { ...auth, json: options });
      if (ctx.out.json) ctx.out.data({ ...res.body, location: res.headers.get('location') });
      else ctx.out.print(`launch queued: ${res.headers.get('location') ?? res.body?.url}`);
      await ctx.operation(res, opts);
    });

  clusters
    .command('delete <cluster>')
    .description('Destroy a cluster and release its nodes')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (ref: string, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('DELETE', clusterPath(ref), auth);
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`cluster ${ref}: ${res.body?.message ?? 'destroy requested'}`);
      await ctx.operation(res, opts);
    });

  clusters.command('products').description('Products that can be launched').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${BASE}/products`, auth);
    ctx.out.table((body?.products ?? []) as string[], [{ header: 'PRODUCT', value: (p) => p }], body);
  });
}
