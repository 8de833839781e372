import { randomBytes, randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { autoscalerWorkflowId, type AutoscalerSettings, type PortSpec } from '../../db/apps';
import { operationLink } from '../../lib/operations';
import { deployApp } from '../../workflows/apps';
import { seal, sealEnv } from '../../activities/apps/sealed';
import type { AppDeps } from '../deps';
import { startRecorded } from '../operations/recorded';
import { viewOf, type PaasContext, type PaasEnv } from './context';
import { jsonDocumented, paasError, readJsonBody } from './errors';
import { appErrors, AppSchema, json, paasRoute } from './openapi';
import { onApp, opHeaders } from './operations';
import { CreateAppBody, type CreateAppRequest } from './schemas';
import { z } from '@hono/zod-openapi';

/** Upstream's generated names: a letter and 8 hex digits. */
const generatedName = () => String.fromCharCode(97 + (randomBytes(1)[0]! % 26)) + randomUUID().slice(0, 8);

type AppView = Awaited<ReturnType<typeof viewOf>>;

const withIds = (ports: Array<Omit<PortSpec, 'id'>>): PortSpec[] => ports.map((p) => ({ id: randomUUID(), ...p }));

/** The autoscaler's timing from configuration: workflow arguments of deployApp. */
export function autoscalerSettings(deps: AppDeps, appId: string): AutoscalerSettings {
  const { config } = deps;
  return {
    workflowId: autoscalerWorkflowId(config.WORKFLOW_ID_PREFIX, appId),
    periodMs: config.APPS_AUTOSCALE_PERIOD_MS,
    cooldownMs: config.APPS_AUTOSCALE_COOLDOWN_MS,
    lowMark: config.APPS_AUTOSCALE_LOW_MARK,
    ticksPerRun: config.APPS_AUTOSCALE_TICKS_PER_RUN,
  };
}

/** The body in the seed's order of answers: bad JSON 400, a bad field 400, TURN without credentials 428. */
async function readCreateBody(c: PaasContext): Promise<CreateAppRequest> {
  const req = await readJsonBody(c, CreateAppBody);
  if (req.turnServerActivate && (!req.turnServerUsername || !req.turnServerPassword)) {
    throw paasError(428, 'Turn server requires authentication parameters (turnServerUsername and turnServerPassword)');
  }
  return req;
}

/**
 * POST /app: the app and its services as rows (CREATED) and the deployApp workflow, committed
 * together (a crash leaves all of it or nothing); 200 at once, as the seed.
 */
export function registerCreateRoute(app: OpenAPIHono<PaasEnv>, deps: AppDeps): void {
  const route = createRoute({
    ...paasRoute('post', '/app', 'Create (deploy) an app: answers at once with status CREATED; the deploy runs as an operation'),
    request: { body: jsonDocumented(CreateAppBody) },
    responses: {
      200: json(z.object({ app: AppSchema, code: z.literal(200), operation: z.string() }), 'Created; Operation-Location names the deploy'),
      ...appErrors(400, 404, 428),
    },
  });

  app.openapi(route, async (c) => {
    const scope = c.get('scope');
    const req = await readCreateBody(c);
    if (req.secretName) {
      const secret = await deps.db
        .selectFrom('app_secrets')
        .select('name')
        .where('project_id', '=', scope.projectId)
        .where('name', '=', req.secretName)
        .executeTakeFirst();
      if (!secret) throw paasError(400, `secretName: no secret ${req.secretName} in project ${scope.projectId} (create it with POST /secret)`);
    }
    const appId = randomUUID();
    const osName = generatedName();
    const domain = deps.config.APPS_ROUTE_DOMAIN;
    const principal = c.get('principal');
    /** The seed's answer: the app as created (CREATED), as the first request and a retry with its Idempotency-Key get it. */
    const created = (view: AppView, operationId: string) =>
      c.json({ app: view, code: 200 as const, operation: operationLink(operationId) }, 200, opHeaders(operationId));
    // The rows, the operation and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
    const { value: view, operationId } = await startRecorded(c, deps, {
      records: async (tx) => {
        const inserted = await tx
          .insertInto('apps')
          .values({
            id: appId,
            project_id: scope.projectId,
            name: req.name,
            os_name: osName,
            route: `${osName}.${domain}`,
            git_url: req.gitURL,
            secret_name: req.secretName ?? null,
            flavor: req.flavor,
            replicas_number: req.replicasNumber,
            number_of_instances: req.numberOfInstances,
            quality_of_service: req.qualityOfService ?? null,
            cloud_repository: req.cloudRepository,
            cdn_connector: req.cdnConnector,
            turn_server_activate: req.turnServerActivate,
            turn_server_url: req.turnServerUrl ?? null,
            turn_server_username: req.turnServerUsername ?? null,
            turn_password_sealed: req.turnServerPassword ? seal(deps.config, 'turnPassword', req.turnServerPassword) : null,
            stun_server_activate: req.stunServerActivate,
            stun_server_ip: req.stunServerIp ?? null,
            stun_server_port: req.stunServerPort ?? null,
            scale_out_limit: req.scaleOutLimit,
            scale_out_threshold: req.scaleOutThreshold,
            ports: JSON.stringify(withIds(req.ports)),
            status: 'CREATED',
            error: null,
            resource_ok: false,
            media_server_group_id: randomUUID(),
            nsd_id: randomUUID(),
            nsr_id: randomUUID(),
            build_id: null,
            image: null,
            build_log: null,
            deployment_id: null,
            pods: JSON.stringify([]),
            created_by: principal.username,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        for (const [position, s] of req.services.entries()) {
          const serviceOsName = `${generatedName()}-${osName}`;
          await tx
            .insertInto('app_services')
            .values({
              id: randomUUID(),
              app_id: appId,
              position,
              name: s.name,
              os_name: serviceOsName,
              docker_url: s.dockerURL,
              replicas_number: s.replicasNumber,
              ports: JSON.stringify(withIds(s.ports)),
              env_sealed: sealEnv(deps.config, s.envVars),
              status: 'Pending',
              route: `${serviceOsName}.${domain}`,
              deployment_id: null,
              pods: JSON.stringify([]),
            })
            .execute();
        }
        return viewOf(c, { ...deps, db: tx }, inserted);
      },
      workflow: deployApp,
      operation: () => ({
        args: [{ appId, autoscaler: req.scaleOutLimit > 0 ? autoscalerSettings(deps, appId) : null }],
        ...onApp({ id: appId, project_id: scope.projectId }),
        summary: `Deploy app ${req.name} (${appId}) in project ${scope.projectId}`,
        userId: principal.userId,
      }),
      answer: created,
    });
    return created(view, operationId);
  });
}
