import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { operationLink } from '../../lib/operations';
import { startRecorded } from '../operations/recorded';
import { waitForOutcome } from '../operations/wait-for-outcome';
import type { AppDeps, AppEnv } from '../deps';
import { conflict, notFound } from '../errors';
import { findInstance, tenantOf } from './context';
import { accepted, formBody, json, kahuErrors } from './openapi';
import { InstanceParams, MessageSchema, SnapshotForm } from './schemas';
import { profileUri, sizeUri, snapshotView, storageView } from './views';
import { createSnapshot } from '../../workflows/compute';

const SnapshotParams = InstanceParams.extend({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
const SnapshotSchema = z
  .object({ network: z.unknown(), profile: z.string(), size: z.string(), storage: z.unknown(), timestamp: z.string() })
  .passthrough()
  .openapi('KahuSnapshot');

const routes = {
  create: createRoute({
    method: 'post',
    path: '/instance/{n}/snapshot',
    tags: ['compute'],
    summary: 'Snapshot an instance',
    request: { params: InstanceParams, body: formBody(SnapshotForm) },
    responses: { 200: json(MessageSchema, 'Snapshot taken; Location names it'), 202: accepted, ...kahuErrors },
  }),
  list: createRoute({
    method: 'get',
    path: '/instance/{n}/snapshot',
    tags: ['compute'],
    summary: "The instance's snapshots by name",
    request: { params: InstanceParams },
    responses: { 200: json(z.record(z.string(), SnapshotSchema), 'Snapshots'), 404: kahuErrors[404] },
  }),
  get: createRoute({
    method: 'get',
    path: '/instance/{n}/snapshot/{name}',
    tags: ['compute'],
    summary: 'One snapshot: network, profile, size, storage and RFC 3339 timestamp',
    request: { params: SnapshotParams },
    responses: { 200: json(SnapshotSchema, 'The snapshot'), 404: kahuErrors[404] },
  }),
};

export function registerSnapshotRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(routes.create, async (c) => {
    const { projectId, base } = await tenantOf(c, deps, 'member');
    const n = c.req.valid('param').n;
    const { name } = c.req.valid('form');
    const row = await findInstance(deps, projectId, n);
    if (!row.vm_id || row.state === 'building' || row.state === 'deleting') throw conflict(`instance ${n} is ${row.state}; it can be snapshotted once built`);
    const profile = await deps.db.selectFrom('compute_profiles').select('network').where('name', '=', row.profile).executeTakeFirst();
    const volumes = await deps.db.selectFrom('instance_volumes').selectAll().where('instance_id', '=', n).where('state', '=', 'attached').execute();
    const location = `${base}/instance/${n}/snapshot/${name}/`;
    // The snapshot row, the operation and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
    const started = await startRecorded(c, deps, {
      records: async (tx) => {
        const inserted = await tx
          .insertInto('instance_snapshots')
          .values({
            instance_id: n,
            name,
            state: 'creating',
            cloud_snapshot_id: null,
            profile: profileUri(row.profile),
            size: sizeUri(row.size),
            network: JSON.stringify(profile?.network ?? {}),
            storage: JSON.stringify(storageView(volumes)),
          })
          .onConflict((oc) => oc.columns(['instance_id', 'name']).doNothing())
          .returning('name')
          .executeTakeFirst();
        if (!inserted) throw conflict(`name: instance ${n} already has a snapshot named '${name}'`);
      },
      workflow: createSnapshot,
      operation: () => ({
        args: [{ instanceId: n, name }],
        resourceType: 'instance',
        resourceId: String(n),
        projectId,
        summary: `Snapshot instance ${n} as ${name} (project ${projectId})`,
        userId: c.get('principal').userId,
      }),
      answer: (_, operationId) => c.json({ message: 'snapshot in progress', operation: operationLink(operationId) }, 202, { Location: location }),
    });
    const outcome = await waitForOutcome(c, deps, started);
    const body = { message: outcome ? 'snapshot created' : 'snapshot in progress', operation: operationLink(started.operationId) };
    return c.json(body, outcome ? 200 : 202, { Location: location });
  });

  app.openapi(routes.list, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'guest');
    const row = await findInstance(deps, projectId, c.req.valid('param').n);
    const snapshots = await deps.db.selectFrom('instance_snapshots').selectAll().where('instance_id', '=', row.id).orderBy('created_at').execute();
    return c.json(Object.fromEntries(snapshots.map((s) => [s.name, snapshotView(s)])), 200);
  });

  app.openapi(routes.get, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'guest');
    const { n, name } = c.req.valid('param');
    const row = await findInstance(deps, projectId, n);
    const snapshot = await deps.db
      .selectFrom('instance_snapshots')
      .selectAll()
      .where('instance_id', '=', row.id)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!snapshot) throw notFound(`instance ${n} has no snapshot '${name}'`);
    return c.json(snapshotView(snapshot), 200);
  });
}
