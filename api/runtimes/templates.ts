import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../deps';
import { rejectInvalidAs, srError } from './errors';
import { AnyObject, authenticated, err, json, runtimeErrors } from './openapi';
import { TemplateBody } from './schemas';

const TupleParam = z.object({ tuple: z.string().openapi({ param: { name: 'tuple', in: 'path' }, example: 'Function-Data' }) });

const requireAdmin = (isAdmin: boolean) => {
  if (!isAdmin) throw srError(403, 'Forbidden', 'Only administrators manage service templates');
};

/** Service templates (flavour tuple → VM template of each role): anyone lists them, administrators write them. */
export function registerTemplateRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const routes = {
    list: createRoute({
      method: 'get',
      path: '/serverless-runtimes/templates',
      ...authenticated(auth),
      summary: 'Service templates: flavour tuples and the VM template of each role',
      responses: { 200: json(AnyObject, 'Templates'), 401: runtimeErrors[401] },
    }),
    put: createRoute({
      method: 'put',
      path: '/serverless-runtimes/templates/{tuple}',
      ...authenticated(auth),
      summary: 'Create or replace a service template (administrators)',
      request: { params: TupleParam, body: { required: true, content: { 'application/json': { schema: TemplateBody } } } },
      responses: {
        200: json(AnyObject, 'Replaced'),
        201: json(AnyObject, 'Created'),
        400: err('Invalid template'),
        401: runtimeErrors[401],
        403: err('Not an administrator'),
      },
    }),
    delete: createRoute({
      method: 'delete',
      path: '/serverless-runtimes/templates/{tuple}',
      ...authenticated(auth),
      summary: 'Remove a service template (administrators); runtimes created from it keep running',
      request: { params: TupleParam },
      responses: { 204: { description: 'Removed' }, 401: runtimeErrors[401], 403: err('Not an administrator'), 404: err('No such template') },
    }),
  };

  app.openapi(routes.list, async (c) => {
    const rows = await deps.db.selectFrom('runtime_templates').selectAll().orderBy('tuple').execute();
    return c.json(Object.fromEntries(rows.map((r) => [r.tuple, { description: r.description, roles: r.roles }])), 200);
  });

  app.openapi(
    routes.put,
    async (c) => {
      requireAdmin(c.get('principal').isAdmin);
      const { tuple } = c.req.valid('param') as z.infer<typeof TupleParam>;
      if (!/^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*$/.test(tuple) || tuple.length > 257) {
        throw srError(400, 'Invalid service template', 'tuple: FAAS flavour, optionally followed by -DAAS flavour');
      }
      const body = c.req.valid('json') as z.infer<typeof TemplateBody>;
      if (tuple.includes('-') !== (body.roles.DAAS !== undefined)) {
        throw srError(400, 'Invalid service template', 'roles.DAAS: a FAAS-DAAS tuple needs a DAAS role, a single flavour none');
      }
      const existed = await deps.db.selectFrom('runtime_templates').select('tuple').where('tuple', '=', tuple).executeTakeFirst();
      const values = { description: body.description ?? '', roles: JSON.stringify(body.roles) };
      await deps.db
        .insertInto('runtime_templates')
        .values({ tuple, ...values })
        .onConflict((oc) => oc.column('tuple').doUpdateSet(values))
        .execute();
      return c.json({ [tuple]: { description: values.description, roles: body.roles } }, existed ? 200 : 201);
    },
    rejectInvalidAs('Invalid service template'),
  );

  app.openapi(routes.delete, async (c) => {
    requireAdmin(c.get('principal').isAdmin);
    const { tuple } = c.req.valid('param');
    const deleted = await deps.db.deleteFrom('runtime_templates').where('tuple', '=', tuple).executeTakeFirst();
    if (!Number(deleted.numDeletedRows)) throw srError(404, 'Service template not found', `No service template ${tuple}`);
    return c.body(null, 204);
  });
}
