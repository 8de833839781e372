import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../deps';
import { loadRuntime, projectOf } from './context';
import { registerCreateRoute } from './create';
import { AnyObject, authenticated, err, IdParam, json, RuntimeSchema, runtimeErrors } from './openapi';
import { awaitRuntimeOperation, opHeaders, requireSteady, startRuntimeOperation } from './operations';
import { registerUpdateRoute } from './update';
import { runtimeView } from './views';
import { deleteRuntime } from '../../workflows/runtimes';

const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ param: { name: 'page', in: 'query' } }),
  per_page: z.coerce.number().int().min(1).max(100).default(20).openapi({ param: { name: 'per_page', in: 'query' } }),
});

/** The runtimes of the caller's project: list, create (create.ts), get, update (update.ts), delete. */
export function registerRuntimeRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    list: createRoute({
      method: 'get',
      path: '/serverless-runtimes',
      ...authenticated(auth),
      summary: 'Serverless Runtimes of the caller’s project, newest last, paginated',
      request: { query: ListQuery },
      responses: { 200: json(AnyObject, 'One page'), 400: err('Bad page or per_page'), 401: runtimeErrors[401] },
    }),
    get: createRoute({
      method: 'get',
      path: '/serverless-runtimes/{id}',
      ...authenticated(auth),
      summary: 'One Serverless Runtime with its current states',
      request: { params: IdParam },
      responses: { 200: json(RuntimeSchema, 'The runtime'), 401: runtimeErrors[401], 404: runtimeErrors[404] },
    }),
    delete: createRoute({
      method: 'delete',
      path: '/serverless-runtimes/{id}',
      ...authenticated(auth),
      summary: 'Delete a Serverless Runtime and release its VMs',
      request: { params: IdParam },
      responses: {
        202: json(RuntimeSchema, 'Still deleting after the wait bound (or Prefer: respond-async)'),
        204: { description: 'Deleted' },
        ...runtimeErrors,
      },
    }),
  };

  app.openapi(routes.list, async (c) => {
    const projectId = await projectOf(c, deps, 'guest');
    const { page, per_page } = c.req.valid('query');
    const base = deps.db.selectFrom('runtimes').where('project_id', '=', projectId).where('deleted_at', 'is', null);
    const { total } = await base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('id').limit(per_page).offset((page - 1) * per_page).execute();
    const ids = rows.map((r) => r.id);
    const functions = ids.length ? await deps.db.selectFrom('runtime_functions').selectAll().where('runtime_id', 'in', ids).execute() : [];
    const items = rows.map((r) => runtimeView(r, functions.filter((f) => f.runtime_id === r.id)));
    const count = Number(total);
    const links: string[] = [];
    if (page * per_page < count) links.push(`</serverless-runtimes?page=${page + 1}&per_page=${per_page}>; rel="next"`);
    if (page > 1) links.push(`</serverless-runtimes?page=${page - 1}&per_page=${per_page}>; rel="prev"`);
    return c.json(
      { SERVERLESS_RUNTIMES: items, PAGE: page, PER_PAGE: per_page, TOTAL: count },
      200,
      links.length ? { Link: links.join(', ') } : undefined,
    );
  });

  registerCreateRoute(app, deps, auth);

  app.openapi(routes.get, async (c) => {
    const projectId = await projectOf(c, deps, 'guest');
    const { row, functions } = await loadRuntime(deps, projectId, c.req.valid('param').id);
    return c.json(runtimeView(row, functions), 200);
  });

  registerUpdateRoute(app, deps, auth);

  app.openapi(routes.delete, async (c) => {
    const projectId = await projectOf(c, deps, 'member');
    const loaded = await loadRuntime(deps, projectId, c.req.valid('param').id);
    const { row, functions } = loaded;
    const title = `Cannot delete Serverless Runtime ${row.id} on a transient state`;
    requireSteady(loaded, title);
    const started = await startRuntimeOperation(
      deps,
      {
        workflow: deleteRuntime,
        args: [{ runtimeId: row.id, roles: functions.map((f) => f.role) }],
        resourceId: String(row.id),
        projectId,
        summary: `Delete serverless runtime ${row.id} (project ${projectId})`,
        userId: c.get('principal').userId,
      },
      title,
    );
    const done = await awaitRuntimeOperation(c, deps, started, `Failed to delete Serverless Runtime ${row.id}`);
    if (!done) return c.json(runtimeView({ ...row, status: 'deleting' }, functions), 202, opHeaders(started.operationId));
    return c.body(null, 204, opHeaders(started.operationId));
  });
}
