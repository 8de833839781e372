import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { contextOf, type Ctx } from '../context';
import { usageError } from '../errors';

/** instances: the Kahu compute API (/v0), with the API token; --project picks the tenant. */

const base = (ctx: Ctx) => (ctx.project ? `/v0/tenant/${encodeURIComponent(ctx.project)}/compute` : '/v0/compute');
const instanceNumber = (n: string) => {
  if (!/^\d{1,9}$/.test(n)) throw usageError(`instance: "${n}" is not an instance number`);
  return n;
};
const asyncHeader = (opts: { async?: boolean }): Record<string, string> => (opts.async ? { prefer: 'respond-async' } : {});

interface Instance {
  id: number;
  name: string;
  state: string;
  size: string;
  profile: string;
  ncpu?: number;
  memory?: number;
}

const columns = [
  { header: 'N', value: (i: Instance) => i.id },
  { header: 'NAME', value: (i: Instance) => i.name },
  { header: 'STATE', value: (i: Instance) => i.state },
  { header: 'SIZE', value: (i: Instance) => i.size?.split('/').filter(Boolean).pop() },
  { header: 'PROFILE', value: (i: Instance) => i.profile?.split('/').filter(Boolean).pop() },
];

export function registerComputeCommands(program: Command): void {
  const instances = program.command('instances').alias('instance').description('Compute instances (Kahu)');

  instances.command('list').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get<Record<string, Instance>>(`${base(ctx)}/instance/`);
    ctx.out.table(Object.values(body), columns, body);
  });

  instances.command('get <n>').action(async (n: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${base(ctx)}/instance/${instanceNumber(n)}`);
    ctx.out.record(body);
  });

  instances
    .command('create')
    .description('Create an instance (it starts out stopped)')
    .requiredOption('--profile <name>', 'e.g. debian-jessie-amd64')
    .requiredOption('--size <name>', 'e.g. 1cpu256mb')
    .option('--name <name>')
    .option('--hypervisor <n>')
    .option('--ssh-key <file>', 'public key file')
    .option('--async', 'answer at once (Prefer: respond-async)')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (opts: { profile: string; size: string; name?: string; hypervisor?: string; sshKey?: string; async?: boolean; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const form: Record<string, string> = { profile: opts.profile, size: opts.size };
      if (opts.name) form.name = opts.name;
      if (opts.hypervisor) form.hypervisor = opts.hypervisor;
      if (opts.sshKey) form['ssh-key'] = (await readFile(opts.sshKey, 'utf8').catch(() => Promise.reject(usageError(`--ssh-key: cannot read ${opts.sshKey}`)))).trim();
      const res = await (await ctx.client()).request('POST', `${base(ctx)}/instance/`, { form, headers: asyncHeader(opts) });
      const location = res.headers.get('location');
      const n = location?.split('/').filter(Boolean).pop();
      if (ctx.out.json) ctx.out.data({ ...res.body, n: n ? Number(n) : null, location });
      else ctx.out.print(`instance ${n} ${res.status === 201 ? 'created' : 'being created'} (${location})`);
      await ctx.operation(res, opts);
    });

  for (const [verb, description] of [
    ['start', 'Start an instance (200 once it runs)'],
    ['stop', 'Stop an instance'],
  ] as const) {
    instances
      .command(`${verb} <n>`)
      .description(description)
      .option('--async', 'answer at once (Prefer: respond-async)')
      .option('-w, --watch', 'follow the operation until it ends')
      .action(async (n: string, opts: { async?: boolean; watch?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const res = await (await ctx.client()).request('POST', `${base(ctx)}/instance/${instanceNumber(n)}/${verb}`, { headers: asyncHeader(opts) });
        if (ctx.out.json) ctx.out.data(res.body);
        else ctx.out.print(res.body?.message ?? `${verb} requested`);
        await ctx.operation(res, opts);
      });
  }

  instances
    .command('delete <n>')
    .description('Delete a stopped instance with its volumes and snapshots')
    .option('--async', 'answer at once (Prefer: respond-async)')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (n: string, opts: { async?: boolean; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('DELETE', `${base(ctx)}/instance/${instanceNumber(n)}/`, { headers: asyncHeader(opts) });
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(res.body?.message ?? 'delete requested');
      await ctx.operation(res, opts);
    });
}
