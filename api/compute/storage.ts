import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { operationLink, startOperation } from '../../lib/operations';
import { startRecorded } from '../operations/recorded';
import { waitForOutcome } from '../operations/wait-for-outcome';
import type { AppDeps, AppEnv } from '../deps';
import { badRequest, conflict, HttpError, notFound } from '../errors';
import { findInstance, tenantOf } from './context';
import { inspectDiskImage } from './disk-images';
import { accepted, formBody, json, kahuErrors } from './openapi';
import { InstanceParams, MessageSchema, StorageForm } from './schemas';
import { storageView, volumeView } from './views';
import { attachStorage, detachStorage } from '../../workflows/compute';

/** Upload limit for storage images (they pass through Postgres to the cloud backend). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const BUILT_IN = new Set(['root', 'config']);

const VolumeParams = InstanceParams.extend({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
const VolumeSchema = z.record(z.string(), z.unknown()).openapi('KahuVolume');

const routes = {
  add: createRoute({
    method: 'post',
    path: '/instance/{n}/storage',
    tags: ['compute'],
    summary: 'Attach a new volume: blank (size in MB) or from an uploaded qcow2/raw file',
    request: { params: InstanceParams, body: formBody(StorageForm) },
    responses: { 201: json(z.object({ name: z.string(), size: z.number() }), 'Attached'), 202: accepted, ...kahuErrors },
  }),
  list: createRoute({
    method: 'get',
    path: '/instance/{n}/storage',
    tags: ['compute'],
    summary: "The instance's volumes by name",
    request: { params: InstanceParams },
    responses: { 200: json(z.record(z.string(), VolumeSchema), 'Volumes'), 404: kahuErrors[404] },
  }),
  get: createRoute({
    method: 'get',
    path: '/instance/{n}/storage/{name}',
    tags: ['compute'],
    summary: 'One volume',
    request: { params: VolumeParams },
    responses: { 200: json(VolumeSchema, 'The volume'), 404: kahuErrors[404] },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/instance/{n}/storage/{name}',
    tags: ['compute'],
    summary: 'Detach and delete a volume (not root or config)',
    request: { params: VolumeParams },
    responses: { 200: json(MessageSchema, 'Deleted'), 202: accepted, ...kahuErrors },
  }),
};

export function registerStorageRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(routes.add, async (c) => {
    const { projectId, base } = await tenantOf(c, deps, 'member');
    const n = c.req.valid('param').n;
    const form = c.req.valid('form');
    const row = await findInstance(deps, projectId, n);
    if (!row.vm_id || row.state === 'building' || row.state === 'deleting') throw conflict(`instance ${n} is ${row.state}; storage can be added once it is built`);

    let size = form.size ?? 0;
    let type = form.type ?? 'qcow2';
    let image: { content: Buffer; filename: string } | undefined;
    if (form.file) {
      if (form.file.size > MAX_UPLOAD_BYTES) throw new HttpError(413, 'too_large', `file: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
      const content = Buffer.from(await form.file.arrayBuffer());
      const inspected = inspectDiskImage(content, form.type);
      size = inspected.sizeMb;
      type = inspected.type;
      image = { content, filename: form.file.name || 'upload' };
    }

    const location = `${base}/instance/${n}/storage/${form.name}/`;
    const taken = () => conflict(`name: instance ${n} already has a volume named '${form.name}'`);
    // The upload, the volume row, the operation and the answer a retry gets commit together, or not
    // at all (api/operations/recorded.ts): a name taken, or another operation on the instance, changes nothing.
    const started = await startRecorded(c, deps, {
      records: async (tx) => {
        const existing = await tx.selectFrom('instance_volumes').select(['name', 'order']).where('instance_id', '=', n).execute();
        if (existing.some((v) => v.name === form.name)) throw taken();
        const uploadId = image
          ? (
              await tx
                .insertInto('uploads')
                .values({ project_id: projectId, filename: image.filename, content: image.content, size_bytes: image.content.length })
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id
          : null;
        const inserted = await tx
          .insertInto('instance_volumes')
          .values({
            instance_id: n,
            name: form.name,
            size,
            bootable: form.bootable ?? false,
            bus: '',
            guest_iface: form['guest-iface'] ?? 'virtio',
            media_type: form['media-type'] ?? 'disk',
            order: Math.max(1, ...existing.map((v) => v.order)) + 1,
            tag: null,
            type,
            vdi_name: `${form.name}_${Math.floor(Date.now() / 1000)}_0`,
            state: 'creating',
            cloud_volume_id: null,
            upload_id: uploadId,
          })
          .onConflict((oc) => oc.columns(['instance_id', 'name']).doNothing())
          .executeTakeFirst();
        if (!inserted.numInsertedOrUpdatedRows) throw taken();
      },
      workflow: attachStorage,
      operation: () => ({
        args: [{ instanceId: n, name: form.name }],
        resourceType: 'instance',
        resourceId: String(n),
        projectId,
        summary: `Attach volume ${form.name} (${size} MB) to instance ${n} (project ${projectId})`,
        userId: c.get('principal').userId,
      }),
      answer: (_, operationId) => c.json({ name: form.name, size, message: 'volume being attached', operation: operationLink(operationId) }, 202, { Location: location }),
    });
    const outcome = await waitForOutcome(c, deps, started);
    if (!outcome) return c.json({ name: form.name, size, message: 'volume being attached', operation: operationLink(started.operationId) }, 202, { Location: location });
    return c.json({ name: form.name, size }, 201, { Location: location });
  });

  async function attachedVolumes(instanceId: number) {
    return deps.db.selectFrom('instance_volumes').selectAll().where('instance_id', '=', instanceId).where('state', '=', 'attached').execute();
  }

  app.openapi(routes.list, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'guest');
    const row = await findInstance(deps, projectId, c.req.valid('param').n);
    return c.json(storageView(await attachedVolumes(row.id)), 200);
  });

  app.openapi(routes.get, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'guest');
    const { n, name } = c.req.valid('param');
    const row = await findInstance(deps, projectId, n);
    const volume = (await attachedVolumes(row.id)).find((v) => v.name === name.replace(/\/$/, ''));
    if (!volume) throw notFound(`instance ${n} has no volume '${name}'`);
    return c.json(volumeView(volume), 200);
  });

  app.openapi(routes.delete, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'member');
    const { n } = c.req.valid('param');
    const name = c.req.valid('param').name.replace(/\/$/, '');
    const row = await findInstance(deps, projectId, n);
    const volume = (await attachedVolumes(row.id)).find((v) => v.name === name);
    if (!volume) throw notFound(`instance ${n} has no volume '${name}'`);
    if (BUILT_IN.has(name)) throw badRequest(`name: the ${name} volume belongs to the instance and cannot be deleted`);
    const started = await startOperation(deps, {
      workflow: detachStorage,
      args: [{ instanceId: n, name }],
      resourceType: 'instance',
      resourceId: String(n),
      projectId,
      summary: `Detach volume ${name} from instance ${n} (project ${projectId})`,
      userId: c.get('principal').userId,
    });
    const outcome = await waitForOutcome(c, deps, started);
    if (!outcome) return c.json({ message: 'volume being deleted', operation: operationLink(started.operationId) }, 202);
    return c.json({ message: 'volume deleted' }, 200);
  });
}
