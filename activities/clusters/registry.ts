import { ApplicationFailure } from '@temporalio/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { clusterDn, clusterIdOf, type ClusterStatus } from '../../db/clusters';
import type { Database } from '../../db/schema';
import type { ActivityDeps } from '../deps';
import { awaitRecorded } from '../support/records';
import { splitProperties } from './document';
import { renderClusterDocument, TemplateError } from './template';

export interface ClusterRef {
  clusterId: number;
}

/**
 * Moves the cluster to `status` and appends the change to its history (readable by the API). A
 * retried write records the change once.
 */
export async function recordStatus(db: Kysely<Database>, clusterId: number, status: ClusterStatus, error: string | null = null): Promise<void> {
  await db
    .updateTable('clusters')
    .set({
      status,
      error,
      history: sql<string>`history || jsonb_build_array(jsonb_build_object('status', ${status}::text, 'at', now()))`,
      updated_at: new Date(),
    })
    .where('id', '=', clusterId)
    .where('status', '!=', status)
    .execute();
}

/** Nodes never placed and services not failed stop with their cluster. */
async function stopRemainder(tx: Transaction<Database>, clusterId: number): Promise<void> {
  await tx.updateTable('cluster_nodes').set({ status: 'stopped', updated_at: new Date() }).where('cluster_id', '=', clusterId).where('status', '=', 'pending').execute();
  await tx.updateTable('cluster_services').set({ status: 'stopped' }).where('cluster_id', '=', clusterId).where('status', '!=', 'failed').execute();
}

/** The cluster's state in Postgres: registration (the rendered template), statuses, the end of a launch or a destroy. */
export function createClusterRegistryActivities(deps: ActivityDeps) {
  const { db } = deps;
  async function clusterRow(clusterId: number) {
    const row = await db.selectFrom('clusters').selectAll().where('id', '=', clusterId).executeTakeFirst();
    if (!row) throw ApplicationFailure.nonRetryable(`cluster ${clusterId} does not exist`, 'NotFound');
    return row;
  }

  return {
    /**
     * Renders the product template with the cluster's options and records its nodes and services:
     * the cluster is `registered`. A template that fails to render, or renders an invalid
     * document, fails the launch for good (InvalidTemplate) with the reason.
     */
    async registerCluster({ clusterId }: ClusterRef): Promise<{ nodes: string[] }> {
      // The first step of a launch: its row may commit a moment after the run starts (support/records.ts).
      // The cluster and its product's template in one read.
      const cluster = await awaitRecorded(
        deps,
        () =>
          db
            .selectFrom('clusters')
            .leftJoin('cluster_products as p', (j) => j.onRef('p.name', '=', 'clusters.product').onRef('p.version', '=', 'clusters.version'))
            .selectAll('clusters')
            .select(['p.template', 'p.template_type'])
            .where('clusters.id', '=', clusterId)
            .executeTakeFirst(),
        `cluster ${clusterId}`,
      );
      if (!cluster.template || !cluster.template_type) {
        throw ApplicationFailure.nonRetryable(`product ${cluster.product} ${cluster.version} has no template`, 'InvalidTemplate');
      }
      const dn = clusterDn({ owner: cluster.owner_name, product: cluster.product, version: cluster.version, number: cluster.number });
      let document;
      try {
        document = renderClusterDocument(cluster.template, cluster.template_type, {
          opts: cluster.options,
          user: cluster.owner_name,
          product: cluster.product,
          version: cluster.version,
          clusterdn: dn,
          clusterid: clusterIdOf(dn),
        });
      } catch (err) {
        if (err instanceof TemplateError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidTemplate');
        throw err;
      }
      const nodes = Object.entries(document.nodes);
      await db.transaction().execute(async (tx) => {
        // A retry clears what an earlier attempt recorded; a pending cluster has nothing recorded yet (its rows and status commit together).
        if (cluster.status !== 'pending') {
          await tx.deleteFrom('cluster_nodes').where('cluster_id', '=', clusterId).execute();
          await tx.deleteFrom('cluster_services').where('cluster_id', '=', clusterId).execute();
        }
        await tx
          .insertInto('cluster_nodes')
          .values(
            nodes.map(([name, spec], ordinal) => ({
              cluster_id: clusterId,
              name,
              ordinal,
              docker_image: spec.docker_image,
              cpu: spec.cpu,
              mem: spec.mem,
              disks: JSON.stringify(spec.disks),
              networks: JSON.stringify(spec.networks),
              properties: JSON.stringify(splitProperties(spec, ['docker_image', 'cpu', 'mem', 'disks', 'networks'])),
              status: 'pending' as const,
            })),
          )
          .execute();
        const services = Object.entries(document.services);
        if (services.length) {
          await tx
            .insertInto('cluster_services')
            .values(
              services.map(([name, spec]) => ({
                cluster_id: clusterId,
                name,
                nodes: JSON.stringify(spec.nodes),
                properties: JSON.stringify(splitProperties(spec, ['nodes'])),
                status: 'pending' as const,
                output: '[]',
              })),
            )
            .execute();
        }
        await tx.updateTable('clusters').set({ dnsname: document.dnsname, region: document.region ?? null }).where('id', '=', clusterId).execute();
        await recordStatus(tx, clusterId, 'registered');
      });
      return { nodes: nodes.map(([name]) => name) };
    },

    async setClusterStatus({ clusterId, status }: ClusterRef & { status: ClusterStatus }): Promise<void> {
      await recordStatus(db, clusterId, status);
    },

    /** The launch failed (or was cancelled) and its nodes were released: `failed` with the reason. */
    async markClusterFailed({ clusterId, reason }: ClusterRef & { reason: string }): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await stopRemainder(tx, clusterId);
        await recordStatus(tx, clusterId, 'failed', reason);
      });
    },

    /** Every node was released: the cluster is `destroyed`. */
    async markClusterDestroyed({ clusterId }: ClusterRef): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await stopRemainder(tx, clusterId);
        const cluster = await tx.selectFrom('clusters').select('error').where('id', '=', clusterId).executeTakeFirst();
        await recordStatus(tx, clusterId, 'destroyed', cluster?.error ?? null);
      });
    },
  };
}
