import { ApplicationFailure } from '@temporalio/common';
import { clusterDn } from '../../db/clusters';
import type { ActivityDeps } from '../deps';
import { runOrchestrator } from './orchestrator';
import { recordStatus, type ClusterRef } from './registry';

/** The configuring step: the product's orchestrator against the running nodes (see orchestrator.ts). */
export function createClusterConfigureActivities({ db }: ActivityDeps) {
  return {
    /**
     * The cluster is `configuring`: runs the orchestrator step and records its output per service,
     * then the cluster is `configured` — and, with `markReady`, `ready` in the same write (a launch
     * has nothing between the two). A failed step fails the launch (OrchestratorFailed).
     */
    async configureCluster({ clusterId, markReady = false }: ClusterRef & { markReady?: boolean }): Promise<{ services: number }> {
      // The status write and the reads are independent: they go out together.
      const [, cluster, nodes, services] = await Promise.all([
        recordStatus(db, clusterId, 'configuring'),
        db
          .selectFrom('clusters')
          .innerJoin('cluster_products as p', (j) => j.onRef('p.name', '=', 'clusters.product').onRef('p.version', '=', 'clusters.version'))
          .select(['clusters.owner_name', 'clusters.product', 'clusters.version', 'clusters.number', 'p.orchestrator'])
          .where('clusters.id', '=', clusterId)
          .executeTakeFirst(),
        db.selectFrom('cluster_nodes').select(['name', 'address', 'host']).where('cluster_id', '=', clusterId).orderBy('ordinal').execute(),
        db.selectFrom('cluster_services').select(['name', 'nodes']).where('cluster_id', '=', clusterId).orderBy('name').execute(),
      ]);
      if (!cluster) throw ApplicationFailure.nonRetryable(`cluster ${clusterId} does not exist`, 'NotFound');
      const outcome = runOrchestrator({
        script: cluster.orchestrator,
        clusterdn: clusterDn({ owner: cluster.owner_name, product: cluster.product, version: cluster.version, number: cluster.number }),
        nodes,
        services,
      });
      await db.transaction().execute(async (tx) => {
        if (!outcome.failure) await recordStatus(tx, clusterId, 'configured');
        for (const [name, lines] of Object.entries(outcome.output)) {
          await tx
            .updateTable('cluster_services')
            .set({ status: outcome.failure ? 'failed' : 'configured', output: JSON.stringify(lines) })
            .where('cluster_id', '=', clusterId)
            .where('name', '=', name)
            .execute();
        }
        if (!outcome.failure && markReady) await recordStatus(tx, clusterId, 'ready');
      });
      if (outcome.failure) throw ApplicationFailure.nonRetryable(outcome.failure, 'OrchestratorFailed');
      return { services: services.length };
    },
  };
}
