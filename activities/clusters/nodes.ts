import { ApplicationFailure } from '@temporalio/common';
import type { Updateable } from 'kysely';
import type { Pod } from '../../cloud/contract';
import type { ClusterNodesTable } from '../../db/clusters';
import { ownerMark } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import { cloudCall, isNotFound } from '../support/cloud-errors';
import { pollUntil } from '../support/poll';
import { recordStatus, type ClusterRef } from './registry';

/** "c17-n0-example0": a DNS label naming a node's deployment, unique by cluster and position. */
export function deploymentName(prefix: string, clusterId: number, ordinal: number, node: string): string {
  const label = `${prefix}c${clusterId}-n${ordinal}-${node}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return label.slice(0, 63).replace(/-+$/, '');
}

/** A failed, crash-looping or deleted pod fails its node: the launch cannot become ready. */
const podFailed = (pod: Pod) => pod.state === 'failed' || pod.state === 'crashloop' || pod.state === 'deleted';

/**
 * A cluster's nodes as simcloud pods: one deployment of one replica per node, all in the
 * cluster's spread group so its nodes land on different hosts while others have room.
 */
export function createClusterNodeActivities({ db, cloud, config }: ActivityDeps) {
  const spreadGroupOf = (clusterId: number) => `${config.WORKFLOW_ID_PREFIX}cluster/${clusterId}`;

  async function setNode(clusterId: number, node: string, changes: Updateable<ClusterNodesTable>) {
    await db.updateTable('cluster_nodes').set({ ...changes, updated_at: new Date() }).where('cluster_id', '=', clusterId).where('name', '=', node).execute();
  }

  /** A region for a cluster whose template names none (the most free CPU, then memory), recorded so a retry keeps it. */
  async function chooseRegion(clusterId: number): Promise<string> {
    const [regions, hosts] = await Promise.all([cloudCall(() => cloud.listRegions()), cloudCall(() => cloud.listHosts())]);
    const free = new Map(regions.map((r) => [r.name, { cpu: 0, memoryMb: 0 }]));
    for (const h of hosts) {
      const f = free.get(h.region);
      if (f && h.state === 'up') Object.assign(f, { cpu: f.cpu + h.cpu - h.usedCpu, memoryMb: f.memoryMb + h.memoryMb - h.usedMemoryMb });
    }
    const [region] = [...free].sort(([, a], [, b]) => b.cpu - a.cpu || b.memoryMb - a.memoryMb)[0] ?? [];
    if (!region) throw ApplicationFailure.nonRetryable('the cloud has no region', 'CapacityError');
    await db.updateTable('clusters').set({ region }).where('id', '=', clusterId).execute();
    return region;
  }

  /**
   * Host names by id: listed at once (while the first pods are read), and again when a pod lands
   * on a host not seen yet.
   */
  function hostNames() {
    const list = () => {
      const listing = cloudCall(() => cloud.listHosts()).then((hosts) => new Map(hosts.map((h) => [h.id, h.name])));
      listing.catch(() => {}); // a failed listing surfaces where it is awaited, not as an unhandled rejection
      return listing;
    };
    let names = list();
    return async (hostId: string) => {
      if (!(await names).has(hostId)) names = list();
      return (await names).get(hostId) ?? hostId;
    };
  }

  async function deleteIfPresent(deploymentId: string): Promise<void> {
    try {
      await cloud.deleteDeployment(deploymentId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return {
    /**
     * The cluster is `scheduling`: places every node at once, each as a deployment of one pod
     * whose CPU and memory are taken on a host, all in one region (the template's `region`, else
     * the one with the most free capacity, recorded so a retry keeps it). A node no host has room
     * for is `failed` and the launch fails (CapacityError) once every other placement has
     * settled, so the compensation that follows sees every node that was placed. Client tokens
     * make a retry return the deployments created the first time.
     */
    async placeClusterNodes({ clusterId, clientToken }: ClusterRef & { clientToken: string }): Promise<{ region: string; placed: number }> {
      // Everything before the first deployment delays every pod's start: these go out together.
      const [, cluster, nodes] = await Promise.all([
        recordStatus(db, clusterId, 'scheduling'),
        db.selectFrom('clusters').select(['region', 'project_id']).where('id', '=', clusterId).executeTakeFirstOrThrow(),
        db.selectFrom('cluster_nodes').selectAll().where('cluster_id', '=', clusterId).orderBy('ordinal').execute(),
      ]);
      const region = cluster.region ?? (await chooseRegion(clusterId));
      const projectId = cluster.project_id;
      const placements = await Promise.allSettled(
        nodes.map(async (node) => {
          try {
            const deployment = await cloudCall(() =>
              cloud.createDeployment({
                clientToken: `${clientToken}/${node.name}`,
                name: deploymentName(config.WORKFLOW_ID_PREFIX, clusterId, node.ordinal, node.name),
                image: node.docker_image,
                replicas: 1,
                cpu: node.cpu,
                memoryMb: node.mem,
                region,
                spreadGroup: spreadGroupOf(clusterId),
                env: { NODE_NAME: node.name },
                // The owner mark (lib/inventory.ts): the orphan sweeper tells the cluster's deployments apart by it.
                labels: ownerMark(config.WORKFLOW_ID_PREFIX, { resourceType: 'cluster', resourceId: String(clusterId), projectId }),
              }),
            );
            await setNode(clusterId, node.name, { status: 'queued', deployment_id: deployment.id });
          } catch (err) {
            if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
            const reason = `node ${node.name} (${node.cpu} CPU, ${node.mem} MB) cannot be placed in ${region}: ${err.message}`;
            await setNode(clusterId, node.name, { status: 'failed', error: reason });
            throw ApplicationFailure.nonRetryable(reason, err.type);
          }
        }),
      );
      const failed = placements.find((p) => p.status === 'rejected');
      if (failed) throw failed.reason;
      return { region, placed: nodes.length };
    },

    /**
     * Waits until every node's pod runs with an address, recording each node's host and address
     * as they come (queued → running); then the cluster is `scheduled`. A pod that fails fails
     * its node and the launch (NodeFailed).
     */
    async waitForClusterNodes({ clusterId }: ClusterRef): Promise<{ running: number }> {
      const hostName = hostNames();
      // Read once: while this activity waits, it is the only writer of its nodes' records.
      const nodes = await db.selectFrom('cluster_nodes').selectAll().where('cluster_id', '=', clusterId).orderBy('ordinal').execute();
      const unplaced = nodes.find((node) => !node.deployment_id);
      if (unplaced) throw ApplicationFailure.nonRetryable(`node ${unplaced.name} was never placed`, 'NodeFailed');
      return pollUntil(
        async () => {
          // One pod per node; their reads go out together.
          const pods = await Promise.all(nodes.map((node) => cloudCall(() => cloud.listPods({ deploymentId: node.deployment_id! })).then((found) => found[0])));
          for (const [i, node] of nodes.entries()) {
            const pod = pods[i];
            if (!pod || podFailed(pod)) {
              const reason = `node ${node.name} failed: ${pod ? `pod ${pod.id} is ${pod.state}${pod.error ? ` (${pod.error})` : ''}` : 'its pod is gone'}`;
              await setNode(clusterId, node.name, { status: 'failed', error: reason });
              throw ApplicationFailure.nonRetryable(reason, 'NodeFailed');
            }
          }
          // Each node whose pod moved is recorded (queued → running, its host and address); the writes go out together.
          await Promise.all(
            nodes.map(async (node, i) => {
              const pod = pods[i]!;
              const status = pod.state === 'running' && pod.ipv4 ? 'running' : 'queued';
              if (status === node.status && pod.hostId === node.host_id && pod.ipv4 === node.address) return;
              await setNode(clusterId, node.name, { status, host_id: pod.hostId, host: await hostName(pod.hostId), address: pod.ipv4 });
              Object.assign(node, { status, host_id: pod.hostId, address: pod.ipv4 });
            }),
          );
          if (nodes.some((node) => node.status !== 'running')) return undefined;
          await recordStatus(db, clusterId, 'scheduled');
          return { running: nodes.length };
        },
        config.CLOUD_POLL_MS,
        () => `waiting for the nodes of cluster ${clusterId} to run`,
      );
    },

    /**
     * Deletes every deployment of the cluster (those recorded, and any in its spread group the
     * records missed) and waits until none is left: their capacity and addresses are free again.
     * Idempotent; nodes that were placed end `stopped`.
     */
    async releaseClusterNodes({ clusterId }: ClusterRef): Promise<{ released: number }> {
      const spreadGroup = spreadGroupOf(clusterId);
      const live = async () => (await cloudCall(() => cloud.listDeployments({ spreadGroup }))).filter((d) => d.state !== 'deleted').map((d) => d.id);
      const recorded = await db.selectFrom('cluster_nodes').select('deployment_id').where('cluster_id', '=', clusterId).where('deployment_id', 'is not', null).execute();
      const ids = new Set([...recorded.map((r) => r.deployment_id!), ...(await live())]);
      for (const id of ids) await cloudCall(() => deleteIfPresent(id));
      await pollUntil(async () => ((await live()).length ? undefined : true), config.CLOUD_POLL_MS, () => `waiting for the nodes of cluster ${clusterId} to be released`);
      await db
        .updateTable('cluster_nodes')
        .set({ status: 'stopped', address: null, updated_at: new Date() })
        .where('cluster_id', '=', clusterId)
        .where('status', 'in', ['queued', 'running'])
        .execute();
      return { released: ids.size };
    },
  };
}
