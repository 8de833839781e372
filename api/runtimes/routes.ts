import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, z, type Hook } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import { placementOf, sealSecret, type RoleTemplate, type RuntimeRole } from '../../db/runtimes';
import { secretKey } from '../../lib/config';
import type { RuntimeUpdatePlan } from '../../workflows/runtimes';
import { requireProjectAccess } from '../auth/access';
import { basicAuth, parseAuthorization } from '../auth/middleware';
import type { AppDeps, AppEnv } from '../deps';
import { HttpError, toHttpError } from '../errors';
import { operationLink, OperationInProgressError, startOperation, type StartOperationRequest } from '../operations/start';
import { waitForOutcome } from '../operations/wait-for-outcome';
import { describeZodError } from '../validation';
import { renderRuntimeError, runtimeNotFound, srError } from './errors';
import { RuntimeBody, runtimeJsonSchema, TemplateBody, type FunctionSpecInput, type RuntimeSpecInput } from './schemas';
import { supervisorSettings } from './settings';
import { runtimeView } from './views';

/** Provision Engine's version this surface implements (GET /server/version). */
export const PROVISION_ENGINE_VERSION = '1.3.3';

const DEFAULT_CAPACITY = { CPU: 2, MEMORY: 1024, DISK_SIZE: 1024 } as const;
const MAX_FACTOR = 2;

const ErrorSchema = z.object({ error: z.string(), message: z.unknown() }).openapi('ServerlessRuntimeError');
const RuntimeSchema = z.record(z.string(), z.unknown()).openapi('ServerlessRuntime', {
  example: {
    SERVERLESS_RUNTIME: {
      NAME: 'Function_831fb29b-bf5c-4b74-8dff-a1e2efc2e892',
      ID: 1489,
      FAAS: { FLAVOUR: 'Function', VM_ID: 945, STATE: 'PENDING', ENDPOINT: '', CPU: 1, MEMORY: 128, DISK_SIZE: 200 },
      SCHEDULING: {},
      DEVICE_INFO: {},
      SERVICE_ID: 1488,
    },
  },
});
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const err = (description: string) => json(ErrorSchema, description);
/** Documented, not validated by the router: the handlers parse it so they can answer the seed's errors in its order. */
const specBody = { required: true, content: { 'application/json': { schema: runtimeJsonSchema as any } } };
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '1489' }) });
const TupleParam = z.object({ tuple: z.string().openapi({ param: { name: 'tuple', in: 'path' }, example: 'Function-Data' }) });
const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ param: { name: 'page', in: 'query' } }),
  per_page: z.coerce.number().int().min(1).max(100).default(20).openapi({ param: { name: 'per_page', in: 'query' } }),
});

/** A zod failure in the seed's shape: 400 naming each field. */
const rejectInvalid =
  (title: string): Hook<any, any, any, any> =>
  (result) => {
    if (!result.success) throw srError(400, title, describeZodError(result.error as ZodError));
  };

const TRANSIENT = new Set(['PENDING', 'UPDATING']);
/** Tries (100 ms apart) to start an operation while the previous one is only finishing. */
const SETTLE_ATTEMPTS = 10;

type Deps = AppDeps;

/**
 * The Provision Engine API (serverless runtimes) at /serverless-runtimes and /server: HTTP Basic
 * against Provisio's users; runtimes live in the caller's default project.
 */
export function runtimeRoutes(deps: Deps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: rejectInvalid('Invalid request') });
  app.onError((e, c) => {
    const httpError = toHttpError(e);
    if (httpError.status >= 500) c.get('logger')?.error({ err: e }, 'unhandled error');
    return renderRuntimeError(c, httpError);
  });
  const auth: MiddlewareHandler<AppEnv> = basicAuth(deps, { realm: 'provision-engine' });
  const tags = ['serverless runtimes'];
  const security = [{ basic: [] }];

  const routes = {
    schema: createRoute({
      method: 'get',
      path: '/serverless-runtimes/schema',
      tags,
      summary: 'JSON Schema of a Serverless Runtime specification (no authentication)',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'The JSON Schema') },
    }),
    version: createRoute({
      method: 'get',
      path: '/server/version',
      tags,
      summary: 'Provision Engine version (a JSON string; no authentication)',
      responses: { 200: json(z.string(), 'Version') },
    }),
    config: createRoute({
      method: 'get',
      path: '/server/config',
      tags,
      summary: 'Engine configuration, without secrets (no authentication)',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Configuration') },
    }),
    listTemplates: createRoute({
      method: 'get',
      path: '/serverless-runtimes/templates',
      tags,
      security,
      middleware: [auth],
      summary: 'Service templates: flavour tuples and the VM template of each role',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Templates'), 401: err('No or bad credentials') },
    }),
    putTemplate: createRoute({
      method: 'put',
      path: '/serverless-runtimes/templates/{tuple}',
      tags,
      security,
      middleware: [auth],
      summary: 'Create or replace a service template (administrators)',
      request: { params: TupleParam, body: { required: true, content: { 'application/json': { schema: TemplateBody } } } },
      responses: {
        200: json(z.record(z.string(), z.unknown()), 'Replaced'),
        201: json(z.record(z.string(), z.unknown()), 'Created'),
        400: err('Invalid template'),
        401: err('No or bad credentials'),
        403: err('Not an administrator'),
      },
    }),
    deleteTemplate: createRoute({
      method: 'delete',
      path: '/serverless-runtimes/templates/{tuple}',
      tags,
      security,
      middleware: [auth],
      summary: 'Remove a service template (administrators); runtimes created from it keep running',
      request: { params: TupleParam },
      responses: { 204: { description: 'Removed' }, 401: err('No or bad credentials'), 403: err('Not an administrator'), 404: err('No such template') },
    }),
    list: createRoute({
      method: 'get',
      path: '/serverless-runtimes',
      tags,
      security,
      middleware: [auth],
      summary: 'Serverless Runtimes of the caller’s project, newest last, paginated',
      request: { query: ListQuery },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'One page'), 400: err('Bad page or per_page'), 401: err('No or bad credentials') },
    }),
    create: createRoute({
      method: 'post',
      path: '/serverless-runtimes',
      tags,
      security,
      middleware: [auth],
      summary: 'Create a Serverless Runtime; answers at once with PENDING states',
      request: { body: specBody },
      responses: {
        201: json(RuntimeSchema, 'Created; the deploy runs (Operation-Location names it)'),
        400: err('Invalid JSON or specification'),
        401: err('No or bad credentials'),
        422: err('No service template for the flavours'),
      },
    }),
    get: createRoute({
      method: 'get',
      path: '/serverless-runtimes/{id}',
      tags,
      security,
      middleware: [auth],
      summary: 'One Serverless Runtime with its current states',
      request: { params: IdParam },
      responses: { 200: json(RuntimeSchema, 'The runtime'), 401: err('No or bad credentials'), 404: err('Serverless Runtime not found') },
    }),
    update: createRoute({
      method: 'put',
      path: '/serverless-runtimes/{id}',
      tags,
      security,
      middleware: [auth],
      summary: 'Update (rename, resize, reschedule) or, in ERROR, recover; answers once applied',
      request: { params: IdParam, body: specBody },
      responses: {
        200: json(RuntimeSchema, 'Applied'),
        202: json(RuntimeSchema, 'Still applying after the wait bound (or Prefer: respond-async); Operation-Location names the operation'),
        400: err('Invalid JSON or specification, or a resize beyond the limits'),
        401: err('No or bad credentials'),
        404: err('Serverless Runtime not found'),
        423: err('The runtime is in a transient state or another operation runs on it'),
      },
    }),
    delete: createRoute({
      method: 'delete',
      path: '/serverless-runtimes/{id}',
      tags,
      security,
      middleware: [auth],
      summary: 'Delete a Serverless Runtime and release its VMs',
      request: { params: IdParam },
      responses: {
        202: json(RuntimeSchema, 'Still deleting after the wait bound (or Prefer: respond-async)'),
        204: { description: 'Deleted' },
        401: err('No or bad credentials'),
        404: err('Serverless Runtime not found'),
        423: err('The runtime is in a transient state or another operation runs on it'),
      },
    }),
  };

  // ---- helpers -----------------------------------------------------------------------------

  async function projectOf(c: Context<AppEnv>, minRole: 'guest' | 'member'): Promise<string> {
    const principal = c.get('principal');
    if (!principal.defaultProjectId) throw srError(403, 'No project', 'Your user has no default project to hold Serverless Runtimes');
    await requireProjectAccess(deps.db, principal, principal.defaultProjectId, minRole);
    return principal.defaultProjectId;
  }

  async function load(projectId: string, idText: string) {
    const id = /^\d{1,9}$/.test(idText) ? Number(idText) : NaN;
    if (!Number.isSafeInteger(id)) throw runtimeNotFound(idText);
    const row = await deps.db
      .selectFrom('runtimes')
      .selectAll()
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw runtimeNotFound(idText);
    const functions = await deps.db.selectFrom('runtime_functions').selectAll().where('runtime_id', '=', id).orderBy('role', 'desc').execute();
    return { row, functions };
  }

  async function viewOf(projectId: string, id: number) {
    const { row, functions } = await load(projectId, String(id));
    return runtimeView(row, functions);
  }

  async function parseSpec(c: Context): Promise<RuntimeSpecInput> {
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw srError(400, 'Invalid JSON', (e as Error).message);
    }
    const parsed = RuntimeBody.safeParse(body);
    if (!parsed.success) throw srError(400, 'Invalid Serverless Runtime specification', describeZodError(parsed.error));
    return parsed.data.SERVERLESS_RUNTIME;
  }

  const opHeaders = (operationId: string) => ({ 'Operation-Location': operationLink(operationId) });

  /**
   * Starts an operation on the runtime; 423 naming the running one when another holds it. An
   * operation that is only finishing (its runtime already reads steady) is waited for briefly, so
   * a PUT right after a runtime turned RUNNING does not bounce off its own create.
   */
  async function start(req: Omit<StartOperationRequest, 'resourceType'>, conflictTitle: string) {
    const runtimeId = Number(req.resourceId);
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOperation(deps, { ...req, resourceType: 'runtime' }, 423);
      } catch (e) {
        if (!(e instanceof OperationInProgressError)) throw e;
        const states = await deps.db.selectFrom('runtime_functions').select('state').where('runtime_id', '=', runtimeId).execute();
        if (attempt >= SETTLE_ATTEMPTS || states.some((f) => TRANSIENT.has(f.state))) throw srError(423, conflictTitle, e.message);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Waits for a synchronous operation; a failure reads as the seed's error with the operation's reason. */
  async function outcome(c: Context, started: Awaited<ReturnType<typeof start>>, title: string) {
    try {
      return await waitForOutcome(c, deps, started);
    } catch (e) {
      if (e instanceof HttpError) {
        throw new HttpError(e.status >= 500 ? 500 : e.status, 'runtime_error', title, e.message, opHeaders(started.operationId));
      }
      throw e;
    }
  }

  // ---- unauthenticated -------------------------------------------------------------------------

  app.openapi(routes.schema, (c) => c.json(runtimeJsonSchema, 200));
  app.openapi(routes.version, (c) => c.json(PROVISION_ENGINE_VERSION, 200));
  app.openapi(routes.config, (c) => {
    const s = supervisorSettings(deps.config, 0);
    return c.json(
      {
        version: PROVISION_ENGINE_VERSION,
        auth: 'HTTP Basic (Provisio users); runtimes belong to the caller’s default project',
        capacity: { defaults: DEFAULT_CAPACITY, max_factor: MAX_FACTOR },
        supervisor: { interval_ms: s.intervalMs, checks_per_run: s.ticksPerRun, max_recoveries: s.maxRecoveries },
        recovery: { attempts: s.recoveryAttempts, first_delay_ms: s.recoveryDelayMs },
        sync_wait_ms: deps.config.SYNC_WAIT_MS,
        cloud_poll_ms: deps.config.CLOUD_POLL_MS,
      },
      200,
    );
  });

  // ---- service templates -----------------------------------------------------------------------

  app.openapi(routes.listTemplates, async (c) => {
    const rows = await deps.db.selectFrom('runtime_templates').selectAll().orderBy('tuple').execute();
    return c.json(Object.fromEntries(rows.map((r) => [r.tuple, { description: r.description, roles: r.roles }])), 200);
  });

  app.openapi(
    routes.putTemplate,
    async (c) => {
      if (!c.get('principal').isAdmin) throw srError(403, 'Forbidden', 'Only administrators manage service templates');
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
    rejectInvalid('Invalid service template'),
  );

  app.openapi(routes.deleteTemplate, async (c) => {
    if (!c.get('principal').isAdmin) throw srError(403, 'Forbidden', 'Only administrators manage service templates');
    const { tuple } = c.req.valid('param');
    const deleted = await deps.db.deleteFrom('runtime_templates').where('tuple', '=', tuple).executeTakeFirst();
    if (!Number(deleted.numDeletedRows)) throw srError(404, 'Service template not found', `No service template ${tuple}`);
    return c.body(null, 204);
  });

  // ---- runtimes --------------------------------------------------------------------------------

  app.openapi(
    routes.list,
    async (c) => {
      const projectId = await projectOf(c, 'guest');
      const { page, per_page } = c.req.valid('query');
      const base = deps.db.selectFrom('runtimes').where('project_id', '=', projectId).where('deleted_at', 'is', null);
      const { total } = await base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id').limit(per_page).offset((page - 1) * per_page).execute();
      const functions = rows.length
        ? await deps.db
            .selectFrom('runtime_functions')
            .selectAll()
            .where(
              'runtime_id',
              'in',
              rows.map((r) => r.id),
            )
            .execute()
        : [];
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
    },
  );

  app.openapi(routes.create, async (c) => {
    const projectId = await projectOf(c, 'member');
    const spec = await parseSpec(c);
    const daas = spec.DAAS?.FLAVOUR ? spec.DAAS : undefined;
    const tuple = daas ? `${spec.FAAS.FLAVOUR}-${daas.FLAVOUR}` : spec.FAAS.FLAVOUR;
    const template = await deps.db.selectFrom('runtime_templates').selectAll().where('tuple', '=', tuple).executeTakeFirst();
    const roles: Array<[RuntimeRole, FunctionSpecInput]> = daas ? [['FAAS', spec.FAAS], ['DAAS', daas]] : [['FAAS', spec.FAAS]];
    if (!template || roles.some(([role]) => !template.roles[role])) {
      throw srError(422, `Cannot find a valid service template for the specified flavours: ${tuple}`, '');
    }
    // SR_AUTH: the caller's own Basic credentials, sealed at rest; only the VM context sees them in clear.
    const header = parseAuthorization(c.req.header('authorization'));
    if (header.scheme !== 'basic') throw srError(401, 'Authentication required', '');
    const srAuth = Buffer.from(`${header.username}:${header.password}`, 'utf8').toString('base64');
    const principal = c.get('principal');

    const runtimeId = await deps.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('runtimes')
        .values({
          project_id: projectId,
          name: spec.NAME ?? `${tuple}_${randomUUID()}`,
          tuple,
          scheduling: JSON.stringify(spec.SCHEDULING ?? {}),
          device_info: JSON.stringify(spec.DEVICE_INFO ?? {}),
          auth_sealed: sealSecret(srAuth, secretKey(deps.config)),
          status: 'active',
          created_by: principal.userId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const [role, fn] of roles) {
        const t: RoleTemplate = template.roles[role] ?? {};
        const cpu = fn.CPU ?? t.CPU ?? DEFAULT_CAPACITY.CPU;
        const memory = fn.MEMORY ?? t.MEMORY ?? DEFAULT_CAPACITY.MEMORY;
        const disk = fn.DISK_SIZE ?? t.DISK_SIZE ?? DEFAULT_CAPACITY.DISK_SIZE;
        await tx
          .insertInto('runtime_functions')
          .values({
            runtime_id: inserted.id,
            role,
            flavour: fn.FLAVOUR,
            state: 'PENDING',
            cpu,
            memory,
            disk_size: disk,
            cpu_max: cpu * MAX_FACTOR,
            memory_max: memory * MAX_FACTOR,
            endpoint: '',
            error: null,
            cloud_vm_id: null,
            host_id: null,
          })
          .execute();
      }
      return inserted.id;
    });

    const started = await start(
      {
        workflowType: 'createRuntime',
        args: [{ runtimeId, roles: roles.map(([r]) => r), supervisor: supervisorSettings(deps.config, runtimeId) }],
        resourceId: String(runtimeId),
        projectId,
        summary: `Create serverless runtime ${runtimeId} (${tuple}) in project ${projectId}`,
        userId: principal.userId,
      },
      'Cannot create Serverless Runtime',
    );
    const view = await viewOf(projectId, runtimeId);
    return c.json(view, 201, { Location: `/serverless-runtimes/${runtimeId}`, ...opHeaders(started.operationId) });
  });

  app.openapi(routes.get, async (c) => {
    const projectId = await projectOf(c, 'guest');
    const { row, functions } = await load(projectId, c.req.valid('param').id);
    return c.json(runtimeView(row, functions), 200);
  });

  app.openapi(routes.update, async (c) => {
    const projectId = await projectOf(c, 'member');
    const { row, functions } = await load(projectId, c.req.valid('param').id); // 404 before the body is looked at
    const spec = await parseSpec(c);
    const principal = c.get('principal');
    const transient = functions.filter((f) => TRANSIENT.has(f.state));
    if (transient.length || row.status !== 'active') {
      throw srError(
        423,
        `Cannot update Serverless Runtime ${row.id} on a transient state`,
        transient.length ? transient.map((f) => `${f.role} is ${f.state}`).join('; ') : `the runtime is ${row.status}`,
      );
    }
    const roles = functions.map((f) => f.role);
    const plan = diff(row, functions, spec);
    const conflictTitle = `Cannot update Serverless Runtime ${row.id} on a transient state`;

    if (functions.some((f) => f.state === 'ERROR')) {
      // As upstream: a PUT on a runtime in ERROR attempts a recovery, then applies the changes.
      const s = supervisorSettings(deps.config, row.id);
      const recovering = await start(
        {
          workflowType: 'recoverRuntime',
          args: [{ runtimeId: row.id, supervisor: s, attempts: s.recoveryAttempts, retryDelayMs: s.recoveryDelayMs }],
          resourceId: String(row.id),
          projectId,
          summary: `Recover serverless runtime ${row.id} (project ${projectId}), asked by a PUT`,
          userId: principal.userId,
        },
        conflictTitle,
      );
      let recovered;
      try {
        recovered = await outcome(c, recovering, `Failed to recover Serverless Runtime ${row.id}`);
      } catch (e) {
        // The recovery failed: the functions stay in ERROR with the reason; show them.
        if (e instanceof HttpError && e.status >= 500) return c.json(await viewOf(projectId, row.id), 200, opHeaders(recovering.operationId));
        throw e;
      }
      if (!recovered) return c.json(await viewOf(projectId, row.id), 202, opHeaders(recovering.operationId));
      if (isEmpty(plan)) return c.json(await viewOf(projectId, row.id), 200, opHeaders(recovering.operationId));
    } else if (isEmpty(plan)) {
      return c.json(runtimeView(row, functions), 200);
    }

    const started = await start(
      {
        workflowType: 'updateRuntime',
        args: [{ runtimeId: row.id, roles, plan }],
        resourceId: String(row.id),
        projectId,
        summary: `Update serverless runtime ${row.id} (${describePlan(plan)}) in project ${projectId}`,
        userId: principal.userId,
      },
      conflictTitle,
    );
    const done = await outcome(c, started, `Failed to update Serverless Runtime ${row.id}`);
    return c.json(await viewOf(projectId, row.id), done ? 200 : 202, opHeaders(started.operationId));
  });

  app.openapi(routes.delete, async (c) => {
    const projectId = await projectOf(c, 'member');
    const { row, functions } = await load(projectId, c.req.valid('param').id);
    const transient = functions.filter((f) => TRANSIENT.has(f.state));
    const title = `Cannot delete Serverless Runtime ${row.id} on a transient state`;
    if (transient.length || row.status !== 'active') {
      throw srError(423, title, transient.length ? transient.map((f) => `${f.role} is ${f.state}`).join('; ') : `the runtime is ${row.status}`);
    }
    const started = await start(
      {
        workflowType: 'deleteRuntime',
        args: [{ runtimeId: row.id, roles: functions.map((f) => f.role) }],
        resourceId: String(row.id),
        projectId,
        summary: `Delete serverless runtime ${row.id} (project ${projectId})`,
        userId: c.get('principal').userId,
      },
      title,
    );
    const done = await outcome(c, started, `Failed to delete Serverless Runtime ${row.id}`);
    if (!done) return c.json(runtimeView({ ...row, status: 'deleting' }, functions), 202, opHeaders(started.operationId));
    return c.body(null, 204, opHeaders(started.operationId));
  });

  return app;
}

type Loaded = { row: { id: number; name: string; scheduling: object; device_info: object }; functions: Array<{ role: RuntimeRole; cpu: number; memory: number; disk_size: number; cpu_max: number; memory_max: number }> };

/**
 * The steps a PUT implies: only changed keys of functions present in both spec and runtime; a
 * changed SCHEDULING or DEVICE_INFO replaces both and reschedules. Resizes beyond the limits → 400.
 */
export function diff(row: Loaded['row'], functions: Loaded['functions'], spec: RuntimeSpecInput): RuntimeUpdatePlan {
  const plan: RuntimeUpdatePlan = { functions: [] };
  const problems: string[] = [];
  if (spec.NAME !== undefined && spec.NAME !== row.name) plan.name = spec.NAME;
  for (const fn of functions) {
    const wanted = fn.role === 'FAAS' ? spec.FAAS : spec.DAAS?.FLAVOUR ? spec.DAAS : undefined;
    if (!wanted) continue;
    const change: RuntimeUpdatePlan['functions'][number] = { role: fn.role };
    if (wanted.CPU !== undefined && wanted.CPU !== fn.cpu) {
      if (wanted.CPU > fn.cpu_max) problems.push(`${fn.role}.CPU: ${wanted.CPU} is beyond the maximum ${fn.cpu_max}`);
      else change.cpu = wanted.CPU;
    }
    if (wanted.MEMORY !== undefined && wanted.MEMORY !== fn.memory) {
      if (wanted.MEMORY > fn.memory_max) problems.push(`${fn.role}.MEMORY: ${wanted.MEMORY} is beyond the maximum ${fn.memory_max}`);
      else change.memory = wanted.MEMORY;
    }
    if (wanted.DISK_SIZE !== undefined && wanted.DISK_SIZE !== fn.disk_size) {
      if (wanted.DISK_SIZE < fn.disk_size) problems.push(`${fn.role}.DISK_SIZE: disks can only grow (now ${fn.disk_size})`);
      else change.diskSize = wanted.DISK_SIZE;
    }
    if (Object.keys(change).length > 1) plan.functions.push(change);
  }
  if (problems.length) throw srError(400, 'Invalid Serverless Runtime update', problems.join('; '));
  const scheduling = spec.SCHEDULING ?? row.scheduling;
  const deviceInfo = spec.DEVICE_INFO ?? row.device_info;
  if (!sameJson(scheduling, row.scheduling) || !sameJson(deviceInfo, row.device_info)) {
    placementOf(scheduling as RuntimeSpecInput['SCHEDULING'] & object); // validated by the schema already
    plan.placement = { scheduling: scheduling as Record<string, unknown>, deviceInfo: deviceInfo as Record<string, unknown> };
  }
  return plan;
}

const isEmpty = (plan: RuntimeUpdatePlan) => plan.name === undefined && plan.functions.length === 0 && !plan.placement;

function describePlan(plan: RuntimeUpdatePlan): string {
  const parts: string[] = [];
  if (plan.name !== undefined) parts.push('rename');
  for (const f of plan.functions) {
    const what = [f.cpu !== undefined && `CPU ${f.cpu}`, f.memory !== undefined && `MEMORY ${f.memory}`, f.diskSize !== undefined && `DISK ${f.diskSize}`]
      .filter(Boolean)
      .join(', ');
    parts.push(`${f.role} ${what}`);
  }
  if (plan.placement) parts.push('reschedule');
  return parts.join('; ');
}

/** Key-order-insensitive JSON equality. */
function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([k, x]) => [k, norm(x)]),
        )
      : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
