import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { SR_AUTH_PURPOSE, type RuntimeRole } from '../../db/runtimes';
import { sealSecret } from '../../lib/secrets';
import { secretKey } from '../../lib/config';
import { parseAuthorization } from '../auth/middleware';
import type { AppDeps, AppEnv } from '../deps';
import { initialCapacity } from './capacity';
import { projectOf, readSpec, viewOf } from './context';
import { srError } from './errors';
import { authenticated, err, json, RuntimeSchema, runtimeErrors, specBody } from './openapi';
import { opHeaders } from './operations';
import { startRecorded } from '../operations/recorded';
import type { FunctionSpecInput } from './schemas';
import { supervisorSettings } from './settings';
import { createRuntime } from '../../workflows/runtimes';

/** POST /serverless-runtimes: rows in PENDING from the flavours' service template, then the deploy workflow. */
export function registerCreateRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const route = createRoute({
    method: 'post',
    path: '/serverless-runtimes',
    ...authenticated(auth),
    summary: 'Create a Serverless Runtime; answers at once with PENDING states',
    request: { body: specBody },
    responses: {
      201: json(RuntimeSchema, 'Created; the deploy runs (Operation-Location names it)'),
      400: err('Invalid JSON or specification'),
      401: runtimeErrors[401],
      422: err('No service template for the flavours'),
    },
  });

  app.openapi(route, async (c) => {
    const projectId = await projectOf(c, deps, 'member');
    const spec = await readSpec(c);
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

    const location = (runtimeId: number) => `/serverless-runtimes/${runtimeId}`;
    // The rows, the operation and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
    const { value: created, ...started } = await startRecorded(c, deps, {
      records: async (tx) => {
        const inserted = await tx
          .insertInto('runtimes')
          .values({
            project_id: projectId,
            name: spec.NAME ?? `${tuple}_${randomUUID()}`,
            tuple,
            scheduling: JSON.stringify(spec.SCHEDULING ?? {}),
            device_info: JSON.stringify(spec.DEVICE_INFO ?? {}),
            auth_sealed: sealSecret(srAuth, secretKey(deps.config), SR_AUTH_PURPOSE),
            status: 'active',
            created_by: principal.userId,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        for (const [role, fn] of roles) {
          await tx
            .insertInto('runtime_functions')
            .values({
              runtime_id: inserted.id,
              role,
              flavour: fn.FLAVOUR,
              state: 'PENDING',
              ...initialCapacity(fn, template.roles[role] ?? {}),
              endpoint: '',
              error: null,
              cloud_vm_id: null,
              host_id: null,
            })
            .execute();
        }
        // The seed's answer (201, the runtime in PENDING), as a retry gets it should this request die.
        return { runtimeId: inserted.id, view: await viewOf({ ...deps, db: tx }, projectId, inserted.id) };
      },
      workflow: createRuntime,
      operation: ({ runtimeId }) => ({
        args: [{ runtimeId, roles: roles.map(([r]) => r), supervisor: supervisorSettings(deps.config, runtimeId) }],
        resourceType: 'runtime',
        resourceId: String(runtimeId),
        projectId,
        summary: `Create serverless runtime ${runtimeId} (${tuple}) in project ${projectId}`,
        userId: principal.userId,
      }),
      answer: ({ runtimeId, view }, operationId) => c.json(view, 201, { Location: location(runtimeId), ...opHeaders(operationId) }),
    });
    const view = await viewOf(deps, projectId, created.runtimeId);
    return c.json(view, 201, { Location: location(created.runtimeId), ...opHeaders(started.operationId) });
  });
}
