import type { Command } from 'commander';
import { contextOf, type Ctx } from '../context';
import { CliError, EXIT, exitCodeOf, usageError } from '../errors';
import { errorMessage } from '../client';
import { readJsonOption } from '../input';

/** apps: the NUBOMEDIA PaaS API (/api/v2/nubomedia/paas), Bearer API token and `project-id` (--project). */

const PAAS = '/api/v2/nubomedia/paas';
const headersOf = (ctx: Ctx): Record<string, string> => (ctx.project ? { 'project-id': ctx.project } : {});
const appId = (id: string) => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw usageError(`app: "${id}" is not an app id`);
  return id;
};

interface App {
  id: string;
  name: string;
  status: string;
  flavor: string;
  route?: string;
  numberOfInstances?: number;
  mediaServerGroup?: { hosts: Array<{ hostname: string; status: string; floatingIp?: string }> };
}

const columns = [
  { header: 'ID', value: (a: App) => a.id },
  { header: 'NAME', value: (a: App) => a.name },
  { header: 'STATUS', value: (a: App) => a.status },
  { header: 'FLAVOR', value: (a: App) => a.flavor },
  { header: 'MEDIA SERVERS', value: (a: App) => a.mediaServerGroup?.hosts.length },
  { header: 'ROUTE', value: (a: App) => a.route },
];

export function registerAppCommands(program: Command): void {
  const apps = program.command('apps').alias('app').description('PaaS apps and their media servers (NUBOMEDIA)');

  apps.command('list').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${PAAS}/app`, { headers: headersOf(ctx) });
    const list = (Array.isArray(body) ? body : (body?.apps ?? [])) as App[];
    ctx.out.table(list, columns, body);
  });

  apps.command('get <id>').action(async (id: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${PAAS}/app/${appId(id)}`, { headers: headersOf(ctx) });
    if (ctx.out.json) return ctx.out.data(body);
    const a = body as App & Record<string, unknown>;
    ctx.out.record({ id: a.id, name: a.name, status: a.status, flavor: a.flavor, route: a.route, gitURL: a.gitURL, error: a.error });
    if (a.mediaServerGroup?.hosts.length) {
      ctx.out.table(a.mediaServerGroup.hosts, [
        { header: 'MEDIA SERVER', value: (h) => h.hostname },
        { header: 'STATUS', value: (h) => h.status },
        { header: 'IP', value: (h) => h.floatingIp },
      ]);
    }
  });

  apps
    .command('create')
    .description('Deploy an app from a JSON file (the seed\'s body) or from flags')
    .option('-f, --file <app.json>', 'the request body')
    .option('--name <name>')
    .option('--git-url <url>')
    .option('--flavor <flavor>', 'SMALL, MEDIUM or LARGE', 'SMALL')
    .option('--instances <n>', 'media servers at start (numberOfInstances)')
    .option('--scale-out-limit <n>', 'most media servers (autoscaling when > 0)')
    .option('-w, --watch', 'follow the deploy operation until it ends')
    .action(async (opts: { file?: string; name?: string; gitUrl?: string; flavor: string; instances?: string; scaleOutLimit?: string; watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      let body: unknown;
      if (opts.file) {
        body = await readJsonOption('--file', opts.file);
      } else {
        if (!opts.name || !opts.gitUrl) throw usageError('--name and --git-url (or --file) are required');
        body = {
          name: opts.name,
          gitURL: opts.gitUrl,
          flavor: opts.flavor.toUpperCase(),
          ...(opts.instances && { numberOfInstances: Number(opts.instances) }),
          ...(opts.scaleOutLimit && { scaleOutLimit: Number(opts.scaleOutLimit) }),
        };
      }
      const res = await (await ctx.client()).request('POST', `${PAAS}/app`, { json: body, headers: headersOf(ctx) });
      const app = (res.body?.app ?? res.body) as App;
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`app ${app.id} (${app.name}) ${app.status}`);
      await ctx.operation(res, opts);
    });

  apps
    .command('delete <id>')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (id: string, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('DELETE', `${PAAS}/app/${appId(id)}`, { headers: headersOf(ctx) });
      if (ctx.out.json) ctx.out.data(res.body ?? { deleted: id });
      else ctx.out.print(`app ${id} deleted`);
      await ctx.operation(res, opts);
    });

  apps
    .command('scale-out <id>')
    .description('Add one media server')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (id: string, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const res = await (await ctx.client()).request('POST', `${PAAS}/app/${appId(id)}/media-server`, { headers: headersOf(ctx) });
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`scaling out app ${id}`);
      await ctx.operation(res, opts);
    });

  apps
    .command('scale-in <id> [hostname]')
    .description('Remove one media server (that one, or any)')
    .option('-w, --watch', 'follow the operation until it ends')
    .action(async (id: string, hostname: string | undefined, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const path = `${PAAS}/app/${appId(id)}/media-server${hostname ? `/${encodeURIComponent(hostname)}` : ''}`;
      const res = await (await ctx.client()).request('DELETE', path, { headers: headersOf(ctx) });
      if (ctx.out.json) ctx.out.data(res.body);
      else ctx.out.print(`scaling in app ${id}`);
      await ctx.operation(res, opts);
    });

  apps.command('media-servers <id>').action(async (id: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`${PAAS}/app/${appId(id)}/media-server`, { headers: headersOf(ctx) });
    ctx.out.table(body as Array<{ hostname: string; status: string; floatingIp?: string }>, [
      { header: 'HOSTNAME', value: (h) => h.hostname },
      { header: 'STATUS', value: (h) => h.status },
      { header: 'IP', value: (h) => h.floatingIp },
    ], body);
  });

  program
    .command('logs <app>')
    .description("An app's build log (or a pod's with --pod); --follow streams it live (Server-Sent Events)")
    .option('--pod <name>', "a pod's log instead of the build log")
    .option('-f, --follow', 'keep streaming until the build or pod ends')
    .action(async (id: string, opts: { pod?: string; follow?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const path = `${PAAS}/app/${appId(id)}/${opts.pod ? `logs/${encodeURIComponent(opts.pod)}` : 'buildlogs'}`;
      if (!opts.follow) {
        const { body } = await client.get(path, { headers: { ...headersOf(ctx), accept: 'application/json, text/plain' } });
        if (ctx.out.json) return ctx.out.data(body);
        return ctx.out.print(typeof body === 'string' ? body : String(body?.log ?? ''));
      }
      await followLog(ctx, await client.fetch('GET', path, { headers: { ...headersOf(ctx), accept: 'text/event-stream' } }));
    });
}

/** Prints `log` events as lines (JSON lines with --json) until the stream sends `end` or closes. */
async function followLog(ctx: Ctx, res: Response): Promise<void> {
  if (res.status >= 400) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // text
    }
    throw new CliError(`${errorMessage(body, res.status)} (HTTP ${res.status})`, exitCodeOf(res.status));
  }
  if (!res.body) throw new CliError('The server sent no stream', EXIT.server);
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { type: 'message', data: [] as string[], id: undefined as string | undefined };
  const dispatch = (): boolean => {
    const data = event.data.join('\n');
    const { type, id } = event;
    event = { type: 'message', data: [], id: undefined };
    if (!data && type === 'message') return false;
    if (ctx.out.json) ctx.out.print(JSON.stringify({ event: type, ...(id !== undefined && { id: Number(id) }), data }));
    else if (type === 'log' || type === 'message') ctx.out.print(data);
    else ctx.out.note(`[${type}] ${data}`);
    return type === 'end';
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (dispatch()) return;
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.type = value;
        else if (field === 'data') event.data.push(value);
        else if (field === 'id') event.id = value;
      }
    }
  }
  dispatch();
}
