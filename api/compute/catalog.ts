import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requireAdmin } from '../auth/access';
import type { AppDeps, AppEnv } from '../deps';
import { conflict, notFound } from '../errors';
import { json, kahuErrors } from './openapi';
import { MessageSchema, ProfileBody, SizeForm } from './schemas';
import { formBody } from './openapi';

const NameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
const SizeSchema = z.object({ ncpu: z.number(), memory: z.number() }).openapi('KahuSize');
const ProfileSchema = z.object({ name: z.string(), network: z.unknown(), storage: z.unknown() }).openapi('KahuProfile');

const routes = {
  profiles: createRoute({
    method: 'get',
    path: '/profile',
    tags: ['compute'],
    summary: 'Profiles: base image, storage and network layout of new instances',
    responses: { 200: json(z.record(z.string(), ProfileSchema), 'Profiles by name') },
  }),
  profile: createRoute({
    method: 'get',
    path: '/profile/{name}',
    tags: ['compute'],
    summary: 'One profile',
    request: { params: NameParam },
    responses: { 200: json(ProfileSchema, 'The profile'), 404: kahuErrors[404] },
  }),
  addProfile: createRoute({
    method: 'post',
    path: '/profile',
    tags: ['compute'],
    summary: 'Add a profile (admins; JSON body)',
    request: { body: { required: true, content: { 'application/json': { schema: ProfileBody } } } },
    responses: { 201: json(ProfileSchema, 'Added'), ...kahuErrors },
  }),
  deleteProfile: createRoute({
    method: 'delete',
    path: '/profile/{name}',
    tags: ['compute'],
    summary: 'Remove a profile no instance uses (admins)',
    request: { params: NameParam },
    responses: { 200: json(MessageSchema, 'Removed'), ...kahuErrors },
  }),
  sizes: createRoute({
    method: 'get',
    path: '/size',
    tags: ['compute'],
    summary: 'Sizes: vCPUs and memory (MB)',
    responses: { 200: json(z.record(z.string(), SizeSchema), 'Sizes by name') },
  }),
  size: createRoute({
    method: 'get',
    path: '/size/{name}',
    tags: ['compute'],
    summary: 'One size',
    request: { params: NameParam },
    responses: { 200: json(SizeSchema, 'The size'), 404: kahuErrors[404] },
  }),
  addSize: createRoute({
    method: 'post',
    path: '/size',
    tags: ['compute'],
    summary: 'Add a size (admins)',
    request: { body: formBody(SizeForm) },
    responses: { 201: json(SizeSchema, 'Added'), ...kahuErrors },
  }),
  deleteSize: createRoute({
    method: 'delete',
    path: '/size/{name}',
    tags: ['compute'],
    summary: 'Remove a size no instance uses (admins)',
    request: { params: NameParam },
    responses: { 200: json(MessageSchema, 'Removed'), ...kahuErrors },
  }),
};

const trim = (name: string) => name.replace(/\/$/, '');

/** Profiles and sizes: seeded defaults that admins extend. */
export function registerCatalogRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const profileView = (p: { name: string; network: unknown; storage: unknown }) => ({ name: p.name, network: p.network, storage: p.storage });

  app.openapi(routes.profiles, async (c) => {
    const rows = await deps.db.selectFrom('compute_profiles').selectAll().orderBy('name').execute();
    return c.json(Object.fromEntries(rows.map((p) => [p.name, profileView(p)])), 200);
  });
  app.openapi(routes.profile, async (c) => {
    const name = trim(c.req.valid('param').name);
    const p = await deps.db.selectFrom('compute_profiles').selectAll().where('name', '=', name).executeTakeFirst();
    if (!p) throw notFound(`profile '${name}' not found`);
    return c.json(profileView(p), 200);
  });
  app.openapi(routes.addProfile, async (c) => {
    requireAdmin(c.get('principal'));
    const body = c.req.valid('json');
    const added = await deps.db
      .insertInto('compute_profiles')
      .values({ name: body.name, network: JSON.stringify(body.network), storage: JSON.stringify(body.storage) })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!added) throw conflict(`name: profile '${body.name}' already exists`);
    return c.json(profileView(added), 201, { Location: `/v0/compute/profile/${added.name}/` });
  });
  app.openapi(routes.deleteProfile, async (c) => {
    requireAdmin(c.get('principal'));
    const name = trim(c.req.valid('param').name);
    const used = await deps.db.selectFrom('instances').select('id').where('profile', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    if (used) throw conflict(`profile '${name}' is used by instance ${used.id}`);
    const res = await deps.db.deleteFrom('compute_profiles').where('name', '=', name).executeTakeFirst();
    if (!res.numDeletedRows) throw notFound(`profile '${name}' not found`);
    return c.json({ message: 'profile deleted' }, 200);
  });

  app.openapi(routes.sizes, async (c) => {
    const rows = await deps.db.selectFrom('compute_sizes').selectAll().orderBy('name').execute();
    return c.json(Object.fromEntries(rows.map((s) => [s.name, { ncpu: s.ncpu, memory: s.memory }])), 200);
  });
  app.openapi(routes.size, async (c) => {
    const name = trim(c.req.valid('param').name);
    const s = await deps.db.selectFrom('compute_sizes').selectAll().where('name', '=', name).executeTakeFirst();
    if (!s) throw notFound(`size '${name}' not found`);
    return c.json({ ncpu: s.ncpu, memory: s.memory }, 200);
  });
  app.openapi(routes.addSize, async (c) => {
    requireAdmin(c.get('principal'));
    const form = c.req.valid('form');
    const added = await deps.db
      .insertInto('compute_sizes')
      .values({ name: form.name, ncpu: form.ncpu, memory: form.memory })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!added) throw conflict(`name: size '${form.name}' already exists`);
    return c.json({ ncpu: added.ncpu, memory: added.memory }, 201, { Location: `/v0/compute/size/${added.name}/` });
  });
  app.openapi(routes.deleteSize, async (c) => {
    requireAdmin(c.get('principal'));
    const name = trim(c.req.valid('param').name);
    const used = await deps.db.selectFrom('instances').select('id').where('size', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    if (used) throw conflict(`size '${name}' is used by instance ${used.id}`);
    const res = await deps.db.deleteFrom('compute_sizes').where('name', '=', name).executeTakeFirst();
    if (!res.numDeletedRows) throw notFound(`size '${name}' not found`);
    return c.json({ message: 'size deleted' }, 200);
  });
}
