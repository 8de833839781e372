import { CLUSTER_RESOURCE_TYPE, type ClusterStatus } from '../../db/clusters';
import { OWNER_KEY, readOwnerMark, type ExpectedObject } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import type { CloudObject, DomainInventory, VanishedObject } from './types';

/** Cluster statuses of a launch in flight: its nodes' deployments are being created, recorded, waited for. */
const LAUNCHING: ReadonlySet<ClusterStatus> = new Set(['pending', 'registered', 'scheduling', 'scheduled', 'configuring', 'configured']);

/**
 * BigData PaaS clusters: each placed node (queued or running) refers to one deployment of one pod,
 * marked `cluster/<id>` in its labels. A node whose deployment vanished is recorded as failed,
 * with the reason, as the launch does for a node whose pod failed; the cluster keeps its status
 * (its other nodes still run) and destroying it releases what is left.
 */
export function clusterInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  const prefix = config.WORKFLOW_ID_PREFIX;
  return {
    domain: 'clusters',
    async expected() {
      const rows = await db
        .selectFrom('cluster_nodes as n')
        .innerJoin('clusters as c', 'c.id', 'n.cluster_id')
        .select(['c.id', 'c.project_id', 'c.status', 'n.deployment_id', 'n.updated_at'])
        .where('n.deployment_id', 'is not', null)
        .where('n.status', 'in', ['queued', 'running'])
        .execute();
      return rows.map(
        (r): ExpectedObject => ({
          kind: 'deployment',
          cloudId: r.deployment_id!,
          owner: { resourceType: CLUSTER_RESOURCE_TYPE, resourceId: String(r.id), projectId: r.project_id },
          rowUpdatedAt: r.updated_at.toISOString(),
          transient: LAUNCHING.has(r.status),
          onVanished: 'repair',
        }),
      );
    },

    async cloudObjects(kinds = ['deployment']) {
      if (!kinds.includes('deployment')) return [];
      const deployments = await cloudCall(() => cloud.listDeployments({ label: OWNER_KEY }));
      return deployments.map((d): CloudObject => {
        const owner = readOwnerMark(prefix, d.labels);
        return {
          kind: 'deployment',
          cloudId: d.id,
          name: d.name,
          owner: owner?.resourceType === CLUSTER_RESOURCE_TYPE ? owner : null,
          createdAt: d.createdAt,
          state: d.state,
        };
      });
    },

    async isClaimed(object) {
      const clusterId = Number(object.owner.resourceId);
      if (!Number.isSafeInteger(clusterId)) return false;
      const cluster = await db.selectFrom('clusters').select('status').where('id', '=', clusterId).executeTakeFirst();
      // Launching: a node's deployment is recorded a moment after it is created.
      if (cluster && LAUNCHING.has(cluster.status)) return true;
      const node = await db
        .selectFrom('cluster_nodes')
        .select('name')
        .where('deployment_id', '=', object.cloudId)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      return !!node;
    },

    async recordVanished({ cloudId, owner }: VanishedObject) {
      const clusterId = Number(owner.resourceId);
      if (!Number.isSafeInteger(clusterId)) return null;
      const cluster = await db.selectFrom('clusters').select('status').where('id', '=', clusterId).executeTakeFirst();
      if (!cluster || LAUNCHING.has(cluster.status)) return null;
      const node = await db
        .selectFrom('cluster_nodes')
        .select('name')
        .where('cluster_id', '=', clusterId)
        .where('deployment_id', '=', cloudId)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      if (!node) return null;
      // As the launch words a node whose pod failed.
      const error = `node ${node.name} failed: its deployment ${cloudId} vanished from the cloud (found by the orphan sweeper)`;
      await db
        .updateTable('cluster_nodes')
        .set({ status: 'failed', error, address: null, updated_at: new Date() })
        .where('cluster_id', '=', clusterId)
        .where('name', '=', node.name)
        .execute();
      return `cluster ${clusterId}: ${error}`;
    },
  };
}
