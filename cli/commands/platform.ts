import { hostname } from 'node:os';
import type { Command } from 'commander';
import { ApiClient } from '../client';
import { configPath, readConfig, removeConfig, writeConfig } from '../config';
import { contextOf, resolveUrl } from '../context';
import { ask } from '../prompt';
import { exitOf, operationIdFrom, watchOperation, type OperationView } from '../watch';

/** login, logout, whoami, projects, operations, watch, audit, webhooks: Provisio's own /v1 API. */
export function registerPlatformCommands(program: Command): void {
  program
    .command('login')
    .description('Log in: stores an API token (never the password) in ~/.config/provisio/config.json, mode 0600')
    .option('-u, --username <name>', 'username (asked when missing)')
    .option('--password <password>', 'password (asked when missing; PROVISIO_PASSWORD also works)')
    .option('--ttl <seconds>', 'token lifetime in seconds (default 90 days)', (v) => Number.parseInt(v, 10))
    .action(async (opts: { username?: string; password?: string; ttl?: number }, command: Command) => {
      const ctx = contextOf(command);
      const url = await resolveUrl(command.optsWithGlobals().url);
      const username = opts.username ?? process.env.PROVISIO_USERNAME ?? (await ask('Username: ', { flag: '--username' }));
      const password = opts.password ?? process.env.PROVISIO_PASSWORD ?? (await ask('Password: ', { hidden: true, flag: '--password' }));
      const client = new ApiClient(url, {});
      const { body } = await client.request('POST', '/v1/auth/tokens', {
        auth: 'none',
        json: { username, password, name: `provisio CLI on ${hostname()}`.slice(0, 100), ...(opts.ttl ? { ttlSeconds: opts.ttl } : {}) },
      });
      await writeConfig({ url, token: body.token, tokenId: body.id, username, expiresAt: body.expiresAt });
      if (ctx.out.json) ctx.out.data({ url, username, tokenId: body.id, expiresAt: body.expiresAt, config: configPath() });
      else ctx.out.print(`Logged in to ${url} as ${username} (token ${body.id}, expires ${body.expiresAt ?? 'never'}); saved in ${configPath()}`);
    });

  program
    .command('logout')
    .description('Revoke the stored token and forget it')
    .action(async (_opts, command: Command) => {
      const ctx = contextOf(command);
      const config = await readConfig();
      if (config.tokenId && config.token) {
        const client = await ctx.client();
        await client.request('DELETE', `/v1/auth/tokens/${config.tokenId}`).catch(() => undefined);
      }
      await removeConfig();
      ctx.out.note('Logged out');
    });

  program
    .command('whoami')
    .description('Who the stored credentials are, and their projects')
    .action(async (_opts, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get('/v1/me');
      if (ctx.out.json) return ctx.out.data(body);
      ctx.out.record({ username: body.username, admin: body.isAdmin, 'default project': body.defaultProjectId });
      ctx.out.table(body.projects as Array<{ id: string; name: string; role: string }>, [
        { header: 'PROJECT', value: (p) => p.id },
        { header: 'NAME', value: (p) => p.name },
        { header: 'ROLE', value: (p) => p.role },
      ]);
    });

  const projects = program.command('projects').description('Projects you can reach');
  projects
    .command('list')
    .action(async (_opts, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get('/v1/projects');
      ctx.out.table(body.projects as any[], [
        { header: 'ID', value: (p) => p.id },
        { header: 'NAME', value: (p) => p.name },
        { header: 'ROLE', value: (p) => p.role },
        { header: 'CREATED', value: (p) => p.createdAt },
      ], body);
    });
  projects
    .command('get <id>')
    .action(async (id: string, _opts, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get(`/v1/projects/${encodeURIComponent(id)}`);
      ctx.out.record(body);
    });

  const operations = program.command('operations').description('Operations: every long-running change is one');
  const opColumns = [
    { header: 'ID', value: (o: OperationView) => o.id },
    { header: 'TYPE', value: (o: OperationView) => o.type },
    { header: 'STATUS', value: (o: OperationView) => o.status },
    { header: 'SUMMARY', value: (o: OperationView) => o.summary },
    { header: 'STARTED', value: (o: OperationView) => o.startedAt },
  ];
  operations
    .command('list')
    .option('-r, --resource <type/id>', 'operations of one resource, e.g. instance/3')
    .option('-l, --limit <n>', 'how many (1-100)', '20')
    .action(async (opts: { resource?: string; limit: string }, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get('/v1/operations', { query: { resource: opts.resource, project: ctx.project, limit: opts.limit } });
      ctx.out.table(body.operations as OperationView[], opColumns, body);
    });
  operations
    .command('get <operation>')
    .description('One operation with its steps')
    .action(async (ref: string, _opts, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get<OperationView>(`/v1/operations/${operationIdFrom(ref)}`);
      if (ctx.out.json) return ctx.out.data(body);
      ctx.out.record({ id: body.id, type: body.type, status: body.status, summary: body.summary, error: body.error, started: body.startedAt, ended: body.endedAt });
      ctx.out.table(body.steps, [
        { header: 'STEP', value: (s) => s.name },
        { header: 'STATE', value: (s) => s.state },
        { header: 'DETAIL', value: (s) => s.detail },
      ]);
    });
  operations
    .command('cancel <operation>')
    .description('Cancel a running operation (its compensations run)')
    .option('-w, --watch', 'follow it until it ends')
    .action(async (ref: string, opts: { watch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const id = operationIdFrom(ref);
      const res = await (await ctx.client()).request('POST', `/v1/operations/${id}/cancel`);
      if (!opts.watch) return ctx.out.json ? ctx.out.data(res.body) : ctx.out.print(`cancellation requested for ${id}`);
      process.exitCode = exitOf(await watchOperation(await ctx.client(), ctx.out, id));
    });

  program
    .command('watch <operation>')
    .description("Follow an operation live: a progress bar over its steps, then its outcome (exit 0 completed, 1 otherwise)")
    .option('-i, --interval <ms>', 'poll interval', '500')
    .action(async (ref: string, opts: { interval: string }, command: Command) => {
      const ctx = contextOf(command);
      const op = await watchOperation(await ctx.client(), ctx.out, ref, { intervalMs: Math.max(100, Number(opts.interval) || 500) });
      process.exitCode = exitOf(op);
    });

  program
    .command('audit')
    .description('The audit log, newest first (global admins; managers see their projects)')
    .option('--user <name>', 'username or user id')
    .option('--resource <resource>', 'e.g. instance/3')
    .option('--action <action>', 'a method, or "METHOD /route/template"')
    .option('--outcome <outcome>', 'success, failure, or a status code')
    .option('--since <time>', 'ISO time')
    .option('--until <time>', 'ISO time')
    .option('-l, --limit <n>', 'entries per page', '50')
    .option('--all', 'follow every page')
    .action(async (opts: Record<string, string | boolean | undefined>, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const entries: any[] = [];
      let cursor: string | undefined;
      do {
        const { body } = await client.get('/v1/audit', {
          query: {
            project: ctx.project,
            user: opts.user as string,
            resource: opts.resource as string,
            action: opts.action as string,
            outcome: opts.outcome as string,
            since: opts.since as string,
            until: opts.until as string,
            limit: opts.limit as string,
            cursor,
          },
        });
        entries.push(...body.entries);
        cursor = opts.all ? (body.nextCursor ?? undefined) : undefined;
      } while (cursor);
      ctx.out.table(entries, [
        { header: 'TIME', value: (e) => e.occurredAt },
        { header: 'USER', value: (e) => e.user?.username },
        { header: 'PROJECT', value: (e) => e.projectId },
        { header: 'ACTION', value: (e) => e.action },
        { header: 'RESOURCE', value: (e) => e.resource },
        { header: 'STATUS', value: (e) => e.status },
        { header: 'OPERATION', value: (e) => e.operation?.id },
      ], entries);
    });

  const webhooks = program.command('webhooks').description("A project's webhook endpoints (project managers; --project or your default project)");
  const projectOf = async (ctx: ReturnType<typeof contextOf>) => ctx.project ?? (await (await ctx.client()).get('/v1/me')).body.defaultProjectId;
  webhooks.command('list').action(async (_opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).get(`/v1/projects/${await projectOf(ctx)}/webhooks`, { query: { limit: 100 } });
    ctx.out.table(body.webhooks as any[], [
      { header: 'ID', value: (w) => w.id },
      { header: 'URL', value: (w) => w.url },
      { header: 'EVENTS', value: (w) => w.eventTypes.join(',') },
      { header: 'ENABLED', value: (w) => w.enabled },
    ], body);
  });
  webhooks
    .command('create')
    .requiredOption('--url <url>', 'where events are POSTed')
    .requiredOption('--events <types>', 'comma-separated: operation.failed,operation.* or *')
    .option('--secret <secret>', 'signing secret (generated when absent; shown once)')
    .option('--description <text>')
    .action(async (opts: { url: string; events: string; secret?: string; description?: string }, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).request('POST', `/v1/projects/${await projectOf(ctx)}/webhooks`, {
        json: { url: opts.url, eventTypes: opts.events.split(',').map((s) => s.trim()).filter(Boolean), secret: opts.secret, description: opts.description },
      });
      ctx.out.record(body);
      ctx.out.note('The secret is shown this once: keep it to verify signatures.');
    });
  webhooks.command('delete <webhook>').action(async (id: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    await (await ctx.client()).request('DELETE', `/v1/projects/${await projectOf(ctx)}/webhooks/${id}`);
    ctx.out.note(`deleted webhook ${id}`);
  });
  webhooks
    .command('deliveries <webhook>')
    .option('--state <state>', 'pending, succeeded or failed')
    .action(async (id: string, opts: { state?: string }, command: Command) => {
      const ctx = contextOf(command);
      const { body } = await (await ctx.client()).get(`/v1/projects/${await projectOf(ctx)}/webhooks/${id}/deliveries`, { query: { state: opts.state, limit: 100 } });
      ctx.out.table(body.deliveries as any[], [
        { header: 'ID', value: (d) => d.id },
        { header: 'EVENT', value: (d) => d.event.type },
        { header: 'RESOURCE', value: (d) => d.event.resource },
        { header: 'STATE', value: (d) => d.state },
        { header: 'ATTEMPTS', value: (d) => d.attempts },
        { header: 'LAST', value: (d) => d.lastStatusCode ?? d.lastError },
        { header: 'CREATED', value: (d) => d.createdAt },
      ], body);
    });
  webhooks.command('redeliver <webhook> <delivery>').action(async (id: string, delivery: string, _opts, command: Command) => {
    const ctx = contextOf(command);
    const { body } = await (await ctx.client()).request('POST', `/v1/projects/${await projectOf(ctx)}/webhooks/${id}/deliveries/${delivery}/redeliver`);
    ctx.out.record(body);
  });
}
