import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { Context } from 'hono';
import { operationLink } from '../../lib/operations';
import { startAnswered, startRecorded } from '../operations/recorded';
import { waitForOutcome } from '../operations/wait-for-outcome';
import type { AppDeps, AppEnv } from '../deps';
import { badRequest, conflict, HttpError, notFound } from '../errors';
import { findInstance, tenantOf, type InstanceRow } from './context';
import { accepted, formBody, json, kahuErrors } from './openapi';
import { ConsoleForm, CreateInstanceForm, HwForm, InstanceParams, MessageSchema } from './schemas';
import { instanceView, profileUri, sizeUri } from './views';
import { createInstance, deleteInstance, startInstance, stopInstance, type InstanceInput } from '../../workflows/compute';

const InstanceSchema = z.record(z.string(), z.unknown()).openapi('KahuInstance');

const routes = {
  create: createRoute({
    method: 'post',
    path: '/instance',
    tags: ['compute'],
    summary: 'Create an instance (it starts out stopped)',
    request: { body: formBody(CreateInstanceForm) },
    responses: { 201: json(MessageSchema, 'Created; Location names the instance'), 202: accepted, ...kahuErrors },
  }),
  list: createRoute({
    method: 'get',
    path: '/instance',
    tags: ['compute'],
    summary: 'Instances of the tenant, by number',
    responses: { 200: json(z.record(z.string(), InstanceSchema), 'Instances') },
  }),
  get: createRoute({
    method: 'get',
    path: '/instance/{n}',
    tags: ['compute'],
    summary: 'One instance',
    request: { params: InstanceParams },
    responses: { 200: json(InstanceSchema, 'The instance'), 404: kahuErrors[404] },
  }),
  start: createRoute({
    method: 'post',
    path: '/instance/{n}/start',
    tags: ['compute'],
    summary: 'Start an instance; 200 means it really runs',
    request: { params: InstanceParams },
    responses: { 200: json(MessageSchema, 'Started'), 202: accepted, ...kahuErrors },
  }),
  stop: createRoute({
    method: 'post',
    path: '/instance/{n}/stop',
    tags: ['compute'],
    summary: 'Stop an instance; 200 means it really has stopped',
    request: { params: InstanceParams },
    responses: { 200: json(MessageSchema, 'Stopped'), 202: accepted, ...kahuErrors },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/instance/{n}',
    tags: ['compute'],
    summary: 'Delete a stopped instance with its volumes and snapshots',
    request: { params: InstanceParams },
    responses: { 200: json(MessageSchema, 'Deleted'), 202: accepted, ...kahuErrors },
  }),
  hw: createRoute({
    method: 'put',
    path: '/instance/{n}/hw',
    tags: ['compute'],
    summary: 'Hardware settings, applied at the next start (instance must be stopped)',
    request: { params: InstanceParams, body: formBody(HwForm) },
    responses: { 200: json(MessageSchema, 'Updated'), ...kahuErrors },
  }),
  console: createRoute({
    method: 'put',
    path: '/instance/{n}/console',
    tags: ['compute'],
    summary: 'Console settings, applied at the next start (instance must be stopped)',
    request: { params: InstanceParams, body: formBody(ConsoleForm) },
    responses: { 200: json(MessageSchema, 'Updated'), ...kahuErrors },
  }),
  address: createRoute({
    method: 'get',
    path: '/instance/{n}/network/{iface}/address',
    tags: ['compute'],
    summary: "An interface's IPv4 address; 404 until the instance runs and has a DHCP lease",
    request: { params: InstanceParams.extend({ iface: z.string().openapi({ param: { name: 'iface', in: 'path' } }) }) },
    responses: { 200: json(z.object({ IPv4: z.string() }), 'The address'), 404: kahuErrors[404] },
  }),
};

/** Start, stop and delete: workflows taking just the instance. */
type InstanceWorkflow = (input: InstanceInput) => Promise<unknown>;

const TRANSIENT = new Set(['building', 'starting', 'stopping', 'deleting']);

function requireSteadyState(row: InstanceRow) {
  if (TRANSIENT.has(row.state)) throw conflict(`instance ${row.id} is ${row.state}; wait for the current operation to finish`);
}

async function readSshKey(value: string | File | undefined): Promise<string | null> {
  if (value === undefined) return null;
  const text = (typeof value === 'string' ? value : await value.text()).trim();
  if (!text) return null;
  if (text.length > 16_384 || !/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$/.test(text)) {
    throw new HttpError(400, 'invalid_request', 'ssh-key: must be an OpenSSH public key (e.g. "ssh-rsa AAAA... comment")');
  }
  return text;
}

async function profileNetwork(deps: AppDeps, profile: string) {
  const p = await deps.db.selectFrom('compute_profiles').select('network').where('name', '=', profile).executeTakeFirst();
  return p?.network ?? {};
}

/** Instance lifecycle: create, list, get, start, stop, delete, settings and address. */
export function registerInstanceRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const pending = (c: Context, message: string, operationId: string) =>
    c.json({ message, operation: operationLink(operationId) }, 202, { 'Operation-Location': operationLink(operationId) });

  app.openapi(routes.create, async (c) => {
    const { projectId, base } = await tenantOf(c, deps, 'member');
    const form = c.req.valid('form');
    const [profile, size] = await Promise.all([
      deps.db.selectFrom('compute_profiles').selectAll().where('name', '=', form.profile).executeTakeFirst(),
      deps.db.selectFrom('compute_sizes').selectAll().where('name', '=', form.size).executeTakeFirst(),
    ]);
    if (!profile) throw badRequest(`profile: unknown profile '${form.profile}'`);
    if (!size) throw badRequest(`size: unknown size '${form.size}'`);
    const hypervisor = form.hypervisor === undefined ? null : Number(form.hypervisor.match(/(\d+)\/?$/)![1]);
    if (hypervisor !== null) {
      const known = await deps.db.selectFrom('hypervisors').select('index').where('index', '=', hypervisor).executeTakeFirst();
      if (!known) throw badRequest(`hypervisor: unknown hypervisor ${hypervisor}`);
    }
    const sshKey = await readSshKey(form['ssh-key']);

    const ts = Math.floor(Date.now() / 1000);
    const volumes = Object.entries(profile.storage).map(([name, v]) => ({ name, ...v }));
    // cloud-init's config drive: how the SSH key and metadata reach the guest.
    volumes.push({ name: 'config', bootable: false, bus: '', 'guest-iface': 'ide', 'media-type': 'disk', order: 1, size: 1, tag: null, type: 'qcow2' });
    // The instance and its volumes in one statement (atomic on its own): one database round trip
    // instead of a transaction of five, on every create.
    const volumeRows = volumes.map((v) => ({
      name: v.name,
      size: v.size,
      bootable: v.bootable,
      bus: v.bus,
      guest_iface: v['guest-iface'],
      media_type: v['media-type'],
      order: v.order,
      tag: v.tag,
      type: v.type,
      vdi_name: `${v.name}_${ts}_0`,
    }));
    const insertInstance = sql<InstanceRow>`
      with reserved as (select nextval('instances_id_seq')::integer as id),
      inserted as (
        insert into instances (id, project_id, name, profile, size, ncpu, memory, hypervisor, ssh_key, state, hw, console)
        select id, ${projectId}, coalesce(${form.name ?? null}::text, 'instance-' || id), ${profile.name}, ${size.name}, ${size.ncpu}, ${size.memory},
               ${hypervisor}::integer, ${sshKey}::text, 'building', '{}'::jsonb, '{}'::jsonb
        from reserved
        returning *
      ),
      volumes as (
        insert into instance_volumes (instance_id, name, size, bootable, bus, guest_iface, media_type, "order", tag, type, vdi_name, state)
        select inserted.id, v.name, v.size, v.bootable, v.bus, v.guest_iface, v.media_type, v."order", v.tag, v.type, v.vdi_name, 'attached'
        from inserted, jsonb_to_recordset(${JSON.stringify(volumeRows)}::jsonb)
          as v(name text, size integer, bootable boolean, bus text, guest_iface text, media_type text, "order" integer, tag text, type text, vdi_name text)
      )
      select * from inserted`;

    const locationOf = (id: number) => `${base}/instance/${id}/`;
    const body = (operationId: string) => ({
      message: 'instance created',
      profile: profileUri(profile.name),
      size: sizeUri(size.name),
      'ssh-key': sshKey,
      operation: operationLink(operationId),
    });
    // The rows, the operation and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
    const { value: row, ...started } = await startRecorded(c, deps, {
      records: async (tx) => (await insertInstance.execute(tx)).rows[0]!,
      workflow: createInstance,
      operation: (row) => ({
        args: [{ instanceId: row.id }],
        resourceType: 'instance',
        resourceId: String(row.id),
        projectId,
        summary: `Create instance ${row.id} (${size.name}, ${profile.name}) in project ${projectId}`,
        userId: c.get('principal').userId,
      }),
      answer: (row, operationId) => c.json({ ...body(operationId), message: 'instance creation in progress' }, 202, { Location: locationOf(row.id) }),
    });
    const location = locationOf(row.id);
    const outcome = await waitForOutcome(c, deps, started);
    if (!outcome) return c.json({ ...body(started.operationId), message: 'instance creation in progress' }, 202, { Location: location });
    return c.json(body(started.operationId), 201, { Location: location });
  });

  app.openapi(routes.list, async (c) => {
    const { projectId, base } = await tenantOf(c, deps, 'guest');
    const rows = await deps.db
      .selectFrom('instances')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .execute();
    const networks = new Map<string, Record<string, { type: string }>>();
    const out: Record<string, ReturnType<typeof instanceView>> = {};
    for (const row of rows) {
      if (!networks.has(row.profile)) networks.set(row.profile, await profileNetwork(deps, row.profile));
      out[String(row.id)] = instanceView(row, base, networks.get(row.profile)!);
    }
    return c.json(out, 200);
  });

  app.openapi(routes.get, async (c) => {
    const { projectId, base } = await tenantOf(c, deps, 'guest');
    const row = await findInstance(deps, projectId, c.req.valid('param').n);
    return c.json(instanceView(row, base, await profileNetwork(deps, row.profile)), 200);
  });

  /**
   * Start, stop and delete share one shape: check the state, start the workflow on the instance,
   * and answer with the outcome once it is real (or 202 with the operation link).
   */
  async function instanceOperation(
    c: Context<AppEnv>,
    n: number,
    op: { workflow: InstanceWorkflow; verb: string; refuse: (row: InstanceRow) => string | undefined; done: string; pending: string },
  ) {
    const { projectId } = await tenantOf(c, deps, 'member');
    const row = await findInstance(deps, projectId, n);
    const refusal = op.refuse(row);
    if (refusal) throw badRequest(`instance ${row.id} ${refusal}`);
    requireSteadyState(row);
    const started = await startAnswered(
      c,
      deps,
      {
        workflow: op.workflow,
        args: [{ instanceId: row.id }],
        resourceType: 'instance',
        resourceId: String(row.id),
        projectId,
        summary: `${op.verb} instance ${row.id} (project ${projectId})`,
        userId: c.get('principal').userId,
      },
      (operationId) => pending(c, op.pending, operationId),
    );
    const outcome = await waitForOutcome(c, deps, started);
    if (!outcome) return pending(c, op.pending, started.operationId);
    return c.json({ message: op.done, operation: operationLink(started.operationId) }, 200);
  }

  app.openapi(routes.start, (c) =>
    instanceOperation(c, c.req.valid('param').n, {
      workflow: startInstance,
      verb: 'Start',
      refuse: (row) => (row.state === 'running' ? 'is already running' : undefined),
      done: 'instance started',
      pending: 'instance starting',
    }),
  );

  app.openapi(routes.stop, (c) =>
    instanceOperation(c, c.req.valid('param').n, {
      workflow: stopInstance,
      verb: 'Stop',
      refuse: (row) => (row.state === 'stopped' ? 'is already stopped' : undefined),
      done: 'instance stopped',
      pending: 'instance stopping',
    }),
  );

  app.openapi(routes.delete, (c) =>
    instanceOperation(c, c.req.valid('param').n, {
      workflow: deleteInstance,
      verb: 'Delete',
      refuse: (row) => (row.state === 'running' || row.state === 'starting' ? 'must be stopped before it is deleted' : undefined),
      done: 'instance deleted',
      pending: 'instance deleting',
    }),
  );

  async function updateSettings(c: Context<AppEnv>, n: number, column: 'hw' | 'console', changes: Record<string, unknown>) {
    const { projectId } = await tenantOf(c, deps, 'member');
    const row = await findInstance(deps, projectId, n);
    if (row.state !== 'stopped') throw badRequest(`instance ${row.id} must be stopped to change ${column} settings`);
    const values = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    // Guarded on state so a start racing this update cannot boot with half-applied settings.
    const updated = await deps.db
      .updateTable('instances')
      .set({ [column]: JSON.stringify({ ...row[column], ...values }), updated_at: new Date() })
      .where('id', '=', row.id)
      .where('state', '=', 'stopped')
      .executeTakeFirst();
    if (!updated.numUpdatedRows) throw conflict(`instance ${row.id} changed state; try again`);
    return c.json({ message: 'instance updated' }, 200);
  }

  app.openapi(routes.hw, (c) => updateSettings(c, c.req.valid('param').n, 'hw', c.req.valid('form')));
  app.openapi(routes.console, (c) => updateSettings(c, c.req.valid('param').n, 'console', c.req.valid('form')));

  app.openapi(routes.address, async (c) => {
    const { projectId } = await tenantOf(c, deps, 'guest');
    const { n, iface } = c.req.valid('param');
    const row = await findInstance(deps, projectId, n);
    const network = await profileNetwork(deps, row.profile);
    if (iface !== 'default' && !(iface in network)) throw notFound(`instance ${n} has no interface '${iface}'`);
    if (!row.ipv4) throw notFound(`instance ${n} has no address on '${iface}' yet (it needs to run and obtain a DHCP lease)`);
    return c.json({ IPv4: row.ipv4 }, 200);
  });
}
