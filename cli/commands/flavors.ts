import type { Command } from 'commander';
import { contextOf } from '../context';
import { usageError } from '../errors';

/** flavors: the FIWARE flavor catalog (/v1/flavors…), X-Auth-Token, JSON. */

interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  swap: number;
  public: boolean;
  promoted: boolean;
  nodes: string[];
}

const auth = { auth: 'x-auth-token' as const };
const columns = [
  { header: 'ID', value: (f: Flavor) => f.id },
  { header: 'NAME', value: (f: Flavor) => f.name },
  { header: 'VCPUS', value: (f: Flavor) => f.vcpus },
  { header: 'RAM (MB)', value: (f: Flavor) => f.ram },
  { header: 'DISK (GB)', value: (f: Flavor) => f.disk },
  { header: 'PUBLIC', value: (f: Flavor) => f.public },
  { header: 'PROMOTED', value: (f: Flavor) => f.promoted },
  { header: 'NODES', value: (f: Flavor) => f.nodes?.join(',') },
];
const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usageError(`${flag}: must be a whole number`);
  return n;
};
const bool = (flag: string) => (v: string) => {
  if (v !== 'true' && v !== 'false') throw usageError(`${flag}: must be true or false`);
  return v;
};
const collect = (v: string, previous: string[] = []) => [...previous, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerFlavorCommands(program: Command): void {
  const flavors = program.command('flavors').alias('flavor').description('The flavor catalog (FIWARE flavor-sync)');

  flavors
    .command('list')
    .option('--public <bool>', 'only public (true) or private (false) flavors', bool('--public'))
    .option('--promoted <bool>', 'only promoted (true) or not (false)', bool('--promoted'))
    .action(async (opts: { public?: string; promoted?: string }, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get('/v1/flavors', { ...auth, query: { public: opts.public, promoted: opts.promoted } });
      ctx.out.table((body?.flavors ?? []) as Flavor[], columns, body);
    });

  flavors.command('get <id>').action(async (id: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`/v1/flavors/${encodeURIComponent(id)}`, auth);
    ctx.out.record((body?.flavor ?? body) as Record<string, unknown>, body);
  });

  flavors
    .command('create')
    .description('Create a (private) flavor in the regions given with --node')
    .requiredOption('--name <name>')
    .requiredOption('--vcpus <n>', 'vCPUs', int('--vcpus'))
    .requiredOption('--ram <mb>', 'RAM in MB', int('--ram'))
    .requiredOption('--disk <gb>', 'disk in GB', int('--disk'))
    .option('--swap <mb>', 'swap in MB', int('--swap'), 0)
    .option('--node <region>', 'region to create it in (repeatable, or comma-separated)', collect)
    .option('--public', 'publish it at once')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (opts: { name: string; vcpus: number; ram: number; disk: number; swap: number; node?: string[]; public?: boolean; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const flavor = { name: opts.name, vcpus: opts.vcpus, ram: opts.ram, disk: opts.disk, swap: opts.swap, ...(opts.node && { nodes: opts.node }), ...(opts.public && { public: true }) };
      const res = await (await ctx.client()).request('POST', '/v1/flavors', { ...auth, json: { flavor } });
      const created = (res.body?.flavor ?? res.body) as Flavor;
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`flavor ${created.id} (${created.name}) created`);
      await ctx.operation(res, opts);
    });

  const update = (verb: string, description: string, change: (opts: { node?: string[] }) => Record<string, unknown>, extra?: (c: Command) => Command) => {
    let cmd = flavors.command(`${verb} <id>`).description(description).option('-w, --watch', 'follow the operation until it ends');
    if (extra) cmd = extra(cmd);
    cmd.action(async (id: string, opts: { node?: string[]; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('PUT', `/v1/flavors/${encodeURIComponent(id)}`, { ...auth, json: { flavor: change(opts) } });
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`flavor ${id}: ${verb} requested`);
      await ctx.operation(res, opts);
    });
  };
  update('publish', 'Make a flavor public (irreversible)', () => ({ public: true }));
  update('promote', 'Promote a public flavor (irreversible)', () => ({ promoted: true }));
  update(
    'install',
    'Install a public flavor into regions',
    (opts) => {
      if (!opts.node?.length) throw usageError('--node is required');
      return { nodes: opts.node };
    },
    (c) => c.option('--node <region>', 'region (repeatable, or comma-separated)', collect),
  );

  flavors
    .command('delete <id>')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (id: string, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('DELETE', `/v1/flavors/${encodeURIComponent(id)}`, auth);
      if (ctx.out.json) ctx.out.data(res.body ?? { deleted: id });
      else ctx.out.print(`flavor ${id} deleted`);
      await ctx.operation(res, opts);
    });
}
