import type { Command } from 'commander';
import { contextOf } from '../context';
import { usageError } from '../errors';
import { readJsonOption } from '../input';

/** runtimes: the Provision Engine API (/serverless-runtimes), HTTP Basic (PROVISIO_USERNAME / PROVISIO_PASSWORD, or asked). */

interface Fn {
  FLAVOUR: string;
  STATE?: string;
  CPU?: number;
  MEMORY?: number;
  DISK_SIZE?: number;
  ENDPOINT?: string;
}
interface Runtime {
  ID: number;
  NAME: string;
  FAAS: Fn;
  DAAS?: Fn | null;
}

const runtimeId = (id: string) => {
  if (!/^\d{1,9}$/.test(id)) throw usageError(`runtime: "${id}" is not a runtime id`);
  return id;
};
const fnText = (f?: Fn | null) => (f ? `${f.FLAVOUR} ${f.STATE ?? ''} ${f.CPU ?? ''}cpu/${f.MEMORY ?? ''}MB`.trim() : undefined);
const columns = [
  { header: 'ID', value: (r: Runtime) => r.ID },
  { header: 'NAME', value: (r: Runtime) => r.NAME },
  { header: 'FAAS', value: (r: Runtime) => fnText(r.FAAS) },
  { header: 'DAAS', value: (r: Runtime) => fnText(r.DAAS) },
  { header: 'ENDPOINT', value: (r: Runtime) => r.FAAS?.ENDPOINT },
];
const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`${flag}: must be a positive integer`);
  return n;
};

export function registerRuntimeCommands(program: Command): void {
  const runtimes = program.command('runtimes').alias('runtime').description('Serverless runtimes (Provision Engine; HTTP Basic)');

  runtimes.command('list').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get('/serverless-runtimes', { auth: 'basic', query: { per_page: 100 } });
    ctx.out.table((body.SERVERLESS_RUNTIMES as Array<{ SERVERLESS_RUNTIME?: Runtime } & Runtime>).map((r) => r.SERVERLESS_RUNTIME ?? r), columns, body);
  });

  runtimes.command('get <id>').action(async (id: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`/serverless-runtimes/${runtimeId(id)}`, { auth: 'basic' });
    if (ctx.out.json) return ctx.out.data(body);
    const r = body.SERVERLESS_RUNTIME as Runtime;
    ctx.out.record({ ID: r.ID, NAME: r.NAME, FAAS: r.FAAS, DAAS: r.DAAS ?? null });
  });

  runtimes
    .command('create')
    .description('Create a runtime from flags or a SERVERLESS_RUNTIME JSON file')
    .option('--flavour <name>', 'FaaS flavour, e.g. nature')
    .option('--daas-flavour <name>', 'DaaS flavour, e.g. s3')
    .option('--name <name>')
    .option('--cpu <n>', 'FaaS CPUs', int('--cpu'))
    .option('--memory <mb>', 'FaaS memory (MB)', int('--memory'))
    .option('--disk <mb>', 'FaaS disk (MB)', int('--disk'))
    .option('-f, --file <spec.json>', 'the request body ({"SERVERLESS_RUNTIME": {...}})')
    .option('-w, --watch', 'follow the deploy operation until it ends')
    .action(async (opts: { flavour?: string; daasFlavour?: string; name?: string; cpu?: number; memory?: number; disk?: number; file?: string; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      let body: unknown;
      if (opts.file) {
        body = await readJsonOption('--file', opts.file);
      } else {
        if (!opts.flavour) throw usageError('--flavour (or --file) is required');
        const faas = { FLAVOUR: opts.flavour, ...(opts.cpu && { CPU: opts.cpu }), ...(opts.memory && { MEMORY: opts.memory }), ...(opts.disk && { DISK_SIZE: opts.disk }) };
        body = {
          SERVERLESS_RUNTIME: { ...(opts.name && { NAME: opts.name }), FAAS: faas, ...(opts.daasFlavour && { DAAS: { FLAVOUR: opts.daasFlavour } }), SCHEDULING: {}, DEVICE_INFO: {} },
        };
      }
      const res = await (await ctx.client()).request('POST', '/serverless-runtimes', { auth: 'basic', json: body });
      const r = res.body.SERVERLESS_RUNTIME as Runtime;
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`runtime ${r.ID} created (${r.NAME})`);
      await ctx.operation(res, opts);
    });

  runtimes
    .command('delete <id>')
    .option('--async', 'answer at once (Prefer: respond-async)')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (id: string, opts: { async?: boolean; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('DELETE', `/serverless-runtimes/${runtimeId(id)}`, {
        auth: 'basic',
        headers: opts.async ? { prefer: 'respond-async' } : {},
      });
      if (ctx.out.json) ctx.out.data(res.body ?? { deleted: Number(id) });
      else ctx.out.print(res.status === 204 ? `runtime ${id} deleted` : `runtime ${id} being deleted`);
      await ctx.operation(res, opts);
    });
}
