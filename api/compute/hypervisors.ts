import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Selectable } from 'kysely';
import type { HypervisorsTable } from '../../db/compute';
import type { AppDeps, AppEnv } from '../deps';
import { notFound } from '../errors';
import { json, kahuErrors } from './openapi';

const HypervisorSchema = z.record(z.string(), z.unknown()).openapi('KahuHypervisor');

const routes = {
  list: createRoute({
    method: 'get',
    path: '/hypervisor/instance',
    tags: ['compute'],
    summary: 'Hypervisors (cloud hosts) by number, with capacity and use',
    responses: { 200: json(z.record(z.string(), HypervisorSchema), 'Hypervisors') },
  }),
  get: createRoute({
    method: 'get',
    path: '/hypervisor/instance/{n}',
    tags: ['compute'],
    summary: 'One hypervisor',
    request: { params: z.object({ n: z.coerce.number().int().min(0).openapi({ param: { name: 'n', in: 'path' } }) }) },
    responses: { 200: json(HypervisorSchema, 'The hypervisor'), 404: kahuErrors[404] },
  }),
};

const view = (h: Selectable<HypervisorsTable>) => ({
  uri: `/v0/hypervisor/instance/${h.index}`,
  name: h.name,
  region: h.region,
  state: h.state,
  ncpu: h.ncpu,
  memory: h.memory,
  disk: h.disk,
  used: { ncpu: h.used_ncpu, memory: h.used_memory, disk: h.used_disk },
  'synced-at': h.synced_at.toISOString(),
});

/** Read from the catalog the syncHypervisors schedule keeps; the API never calls the cloud. */
export function registerHypervisorRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(routes.list, async (c) => {
    const rows = await deps.db.selectFrom('hypervisors').selectAll().orderBy('index').execute();
    return c.json(Object.fromEntries(rows.map((h) => [String(h.index), view(h)])), 200);
  });
  app.openapi(routes.get, async (c) => {
    const n = c.req.valid('param').n;
    const h = await deps.db.selectFrom('hypervisors').selectAll().where('index', '=', n).executeTakeFirst();
    if (!h) throw notFound(`hypervisor ${n} not found`);
    return c.json(view(h), 200);
  });
}
