import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { sql } from 'kysely';
import { CLUSTER_RESOURCE_TYPE, clusterLabel, type ProductOptions } from '../../db/clusters';
import { operationLink } from '../../lib/operations';
import { launchCluster } from '../../workflows/clusters';
import type { AppDeps, AppEnv } from '../deps';
import { startRecorded } from '../operations/recorded';
import { launchProject, loadProduct, visibleClusters } from './access';
import { readJson } from './body';
import { clusterError, notFound } from './errors';
import { authenticated, BASE_PATH, errors, json, ProductParams, tags } from './openapi';
import { documented, ErrorSchema, LaunchBody, QueuedSchema } from './schemas';
import { clusterUri } from './views';

/**
 * The options a cluster is rendered with: the product's required, optional and advanced
 * defaults, then the request's values. A required option the request leaves out → 400
 * "invalid options" (upstream: registry.valid()).
 */
export function mergeOptions(options: ProductOptions | null, requested: Record<string, unknown>): Record<string, unknown> {
  const missing = Object.keys(options?.required ?? {}).filter((k) => !(k in requested));
  if (missing.length) {
    throw clusterError(400, 'invalid options', `missing required option${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  return { ...options?.required, ...options?.optional, ...options?.advanced, ...requested };
}

const QueueParam = z.object({ id: z.string().uuid('must be a queue entry id (a UUID)').openapi({ param: { name: 'id', in: 'path' } }) });

/** POST /products/{name}/{version} (launch) and GET /queue/{id} (follow it to the cluster). */
export function registerLaunchRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/products/{name}/{version}',
      ...authenticated(auth),
      summary: 'Launch a cluster of a product version; follow Location (the queue entry) to the cluster',
      request: { params: ProductParams, body: { required: false, content: { 'application/json': { schema: documented(LaunchBody) as any } } } },
      responses: {
        202: { ...json(QueuedSchema, 'Accepted: the launch runs; Location is its queue entry, Operation-Location its operation'), headers: { Location: { schema: { type: 'string' } } } },
        400: errors[400],
        401: errors[401],
        403: errors[403],
        404: errors[404],
        409: errors[409],
        415: errors[415],
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { name, version } = c.req.valid('param');
      const product = await loadProduct(deps.db, name, version);
      const projectId = await launchProject(deps.db, principal);
      const requested = await readJson(c, LaunchBody, {});
      if (!product.template) {
        throw clusterError(409, 'conflict', `product ${name} ${version} has no template yet: PUT it at ${BASE_PATH}/products/${name}/${version}/template`);
      }
      const options = mergeOptions(product.options, requested);

      const queued = (queueId: string) => `${BASE_PATH}/queue/${queueId}`;
      // The cluster row, the operation and the answer a retry gets commit together, or not at all (api/operations/recorded.ts).
      // The cluster's number comes first, in a statement of its own: inside the transaction below its
      // row lock would be held across the workflow start and queue every concurrent launch of this
      // product behind it. A launch that fails later leaves a gap in the numbers, as a sequence does.
      const { last_number } = await deps.db
        .insertInto('cluster_counters')
        .values({ owner_id: principal.userId, product: name, version, last_number: 1 })
        .onConflict((oc) => oc.columns(['owner_id', 'product', 'version']).doUpdateSet({ last_number: sql`cluster_counters.last_number + 1` }))
        .returning('last_number')
        .executeTakeFirstOrThrow();
      const { value: cluster, operationId } = await startRecorded(c, deps, {
        records: async (tx) => {
          return tx
            .insertInto('clusters')
            .values({
              owner_id: principal.userId,
              owner_name: principal.username,
              project_id: projectId,
              product: name,
              version,
              number: last_number,
              status: 'pending',
              options: JSON.stringify(options),
            })
            .returning(['id', 'queue_id', 'number'])
            .executeTakeFirstOrThrow();
        },
        workflow: launchCluster,
        operation: (cluster) => {
          const label = clusterLabel({ owner: principal.username, product: name, version, number: cluster.number });
          return {
            args: [{ clusterId: cluster.id, label }],
            resourceType: CLUSTER_RESOURCE_TYPE,
            resourceId: String(cluster.id),
            projectId,
            summary: `Launch cluster ${label} (project ${projectId})`,
            userId: principal.userId,
          };
        },
        answer: (cluster, operationId) =>
          c.json({ url: queued(cluster.queue_id) }, 202, { Location: queued(cluster.queue_id), 'Operation-Location': operationLink(operationId) }),
      });
      const url = queued(cluster.queue_id);
      return c.json({ url }, 202, { Location: url, 'Operation-Location': operationLink(operationId) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/queue/{id}',
      ...authenticated(auth),
      summary: 'A launch: 200 {"status":"pending"} until the cluster is registered, then 303 to the cluster',
      request: { params: QueueParam },
      responses: {
        200: json(z.object({ status: z.literal('pending') }), 'Still registering'),
        303: {
          ...json(z.object({ status: z.string(), url: z.string() }), 'The cluster exists: Location is its URI'),
          headers: { Location: { schema: { type: 'string' } } },
        },
        400: errors[400],
        401: errors[401],
        404: json(ErrorSchema, 'No such queue entry for the caller'),
      },
      tags,
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await visibleClusters(deps.db, c.get('principal'), { withQueued: true }).selectAll().where('queue_id', '=', id).executeTakeFirst();
      if (!row) throw notFound(`no queue entry ${id}`);
      if (row.status === 'pending') return c.json({ status: 'pending' as const }, 200);
      const url = clusterUri(row);
      return c.json({ status: row.status, url }, 303, { Location: url });
    },
  );
}
