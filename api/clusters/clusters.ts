import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Workflow } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { CLUSTER_RESOURCE_TYPE, clusterLabel } from '../../db/clusters';
import { operationLink, OperationInProgressError, startOperation, type StartOperationRequest } from '../../lib/operations';
import { destroyCluster } from '../../workflows/clusters';
import { waitForOutcome } from '../operations/wait-for-outcome';
import type { AppDeps, AppEnv } from '../deps';
import { loadCluster, visibleClusters } from './access';
import { clusterError } from './errors';
import {
  authenticated,
  ClusterParams,
  errors,
  json,
  ListQuery,
  UserFilter,
  UserProductFilter,
  UserProductVersionFilter,
} from './openapi';
import { ClusterListSchema, ClusterSchema, NodeSchema, ServiceSchema } from './schemas';
import { clusterUri, clusterView, nodeView, serviceView } from './views';

const MessageSchema = z.object({ message: z.string() });

/** Statuses a launch writes last: its workflow is at most finishing. */
const SETTLED = new Set(['ready', 'failed', 'destroyed']);
/** How long (100 ms apart) an operation waits for a launch that is only finishing. */
const SETTLE_ATTEMPTS = 50;

/**
 * Starts an operation on a cluster. A launch that already wrote its last status may still be
 * completing its workflow for a moment: wait for it rather than bounce a DELETE sent right after
 * `ready`. A launch still at work → 409 naming it and how to cancel it.
 */
async function startClusterOperation<W extends Workflow>(deps: AppDeps, clusterId: number, label: string, req: StartOperationRequest<W>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOperation(deps, req);
    } catch (e) {
      if (!(e instanceof OperationInProgressError)) throw e;
      const { status } = await deps.db.selectFrom('clusters').select('status').where('id', '=', clusterId).executeTakeFirstOrThrow();
      if (attempt >= SETTLE_ATTEMPTS || !SETTLED.has(status)) {
        const cancel = e.operationId ? `; cancel it with POST ${operationLink(e.operationId)}/cancel` : '';
        throw clusterError(409, 'conflict', `cluster ${label} is ${status}: ${e.message}${cancel}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The caller's clusters: lists (optionally by user, product, version), one cluster, its nodes and services, and destroy. */
export function registerClusterRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, auth: MiddlewareHandler<AppEnv>): void {
  const filters = [
    ['/clusters', z.object({})],
    ['/clusters/{user}', UserFilter],
    ['/clusters/{user}/{product}', UserProductFilter],
    ['/clusters/{user}/{product}/{version}', UserProductVersionFilter],
  ] as const;
  for (const [path, params] of filters) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        ...authenticated(auth),
        summary: 'The caller’s clusters (one page, oldest first), narrowed by the path’s user, product and version',
        request: { params, query: ListQuery },
        responses: { 200: json(ClusterListSchema, 'Clusters; `next` links the following page'), 400: errors[400], 401: errors[401] },
      }),
      async (c) => {
        const filter = c.req.valid('param') as Partial<z.infer<typeof UserProductVersionFilter>>;
        const { limit, cursor } = c.req.valid('query');
        let q = visibleClusters(deps.db, c.get('principal')).selectAll();
        if (filter.user) q = q.where('owner_name', '=', filter.user);
        if (filter.product) q = q.where('product', '=', filter.product);
        if (filter.version) q = q.where('version', '=', filter.version);
        if (cursor !== undefined) q = q.where('id', '>', cursor);
        const rows = await q.orderBy('id').limit(limit + 1).execute();
        const page = rows.slice(0, limit);
        const next = rows.length > limit ? `${c.req.path}?limit=${limit}&cursor=${page[page.length - 1]!.id}` : undefined;
        return c.json({ clusters: page.map(clusterView), ...(next ? { next } : {}) }, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/{user}/{product}/{version}/{id}',
      ...authenticated(auth),
      summary: 'One cluster: its dnsname, DN, status (with history) and error',
      request: { params: ClusterParams },
      responses: { 200: json(ClusterSchema, 'The cluster'), 400: errors[400], 401: errors[401], 404: errors[404] },
    }),
    async (c) => c.json(clusterView(await loadCluster(deps.db, c.get('principal'), c.req.valid('param'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/{user}/{product}/{version}/{id}/nodes',
      ...authenticated(auth),
      summary: 'The cluster’s nodes: status, host and address, disks and networks',
      request: { params: ClusterParams },
      responses: { 200: json(z.object({ nodes: z.array(NodeSchema) }), 'Nodes in template order'), 400: errors[400], 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const cluster = await loadCluster(deps.db, c.get('principal'), c.req.valid('param'));
      const nodes = await deps.db.selectFrom('cluster_nodes').selectAll().where('cluster_id', '=', cluster.id).orderBy('ordinal').execute();
      return c.json({ nodes: nodes.map((n) => nodeView(cluster, n)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/{user}/{product}/{version}/{id}/services',
      ...authenticated(auth),
      summary: 'The cluster’s services: their nodes, properties and the orchestrator step’s output',
      request: { params: ClusterParams },
      responses: { 200: json(z.object({ services: z.array(ServiceSchema) }), 'Services by name'), 400: errors[400], 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      const cluster = await loadCluster(deps.db, c.get('principal'), c.req.valid('param'));
      const services = await deps.db.selectFrom('cluster_services').selectAll().where('cluster_id', '=', cluster.id).orderBy('name').execute();
      return c.json({ services: services.map((s) => serviceView(cluster, s)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/clusters/{user}/{product}/{version}/{id}',
      ...authenticated(auth),
      summary: 'Destroy a cluster: every node is released; answers once done (202 past SYNC_WAIT_MS or with Prefer: respond-async)',
      request: { params: ClusterParams },
      responses: {
        200: json(MessageSchema, '{"message":"success"}: every node released, the cluster is destroyed'),
        202: json(MessageSchema.extend({ url: z.string() }), 'Still releasing; Operation-Location names the operation'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const cluster = await loadCluster(deps.db, principal, c.req.valid('param'));
      if (cluster.status === 'destroyed') return c.json({ message: 'success' }, 200);
      const label = clusterLabel({ owner: cluster.owner_name, product: cluster.product, version: cluster.version, number: cluster.number });
      const started = await startClusterOperation(deps, cluster.id, label, {
        workflow: destroyCluster,
        args: [{ clusterId: cluster.id, label }],
        resourceType: CLUSTER_RESOURCE_TYPE,
        resourceId: String(cluster.id),
        projectId: cluster.project_id,
        summary: `Destroy cluster ${label} (project ${cluster.project_id})`,
        userId: principal.userId,
      });
      const headers = { 'Operation-Location': operationLink(started.operationId) };
      const done = await waitForOutcome(c, deps, started);
      if (!done) return c.json({ message: 'destroying', url: clusterUri(cluster) }, 202, headers);
      return c.json({ message: 'success' }, 200, headers);
    },
  );
}
