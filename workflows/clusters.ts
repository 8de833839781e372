import { CancellationScope, isCancellation, patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { clusterResource } from '../db/clusters';
import { cloudWait, quickCall, recordCall } from './support/activity-options';
import { Progress } from './support/progress';
import { describeFailure, Saga } from './support/saga';

const quick = proxyActivities<Activities>(quickCall);
const wait = proxyActivities<Activities>(cloudWait);
const record = proxyLocalActivities<Activities>(recordCall);

export interface ClusterInput {
  clusterId: number;
  /** "alice/reference/1.0.0/3", for summaries in the Temporal UI. */
  label: string;
}

/** Deterministic per run and step: a retried or replayed step reuses it, so the cloud creates once. */
function clientToken(step: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}/${runId}/${step}`;
}

/**
 * Launches a cluster. Each step records the statuses it covers: Register → registered (the
 * template rendered into nodes and services); Place nodes → scheduling (every node placed as a
 * pod); Wait for nodes → scheduled (every node running); Configure → configuring → configured
 * (the orchestrator step); Mark ready → ready. Any failure or a cancel releases every node
 * already placed and leaves the cluster `failed` with the reason.
 */
export async function launchCluster({ clusterId, label }: ClusterInput): Promise<{ status: 'ready'; nodes: number }> {
  const progress = new Progress(['Register', 'Place nodes', 'Wait for nodes', 'Configure', 'Mark ready'], clusterResource(clusterId));
  const saga = new Saga(progress);
  try {
    return await saga.run(async () => {
      const { nodes } = await progress.run('Register', () => record.registerCluster({ clusterId }));
      saga.add('Place nodes', () =>
        wait.releaseClusterNodes.executeWithOptions({ ...cloudWait, summary: `Release the nodes of cluster ${label}` }, [{ clusterId }]),
      );
      await progress.run('Place nodes', () =>
        quick.placeClusterNodes.executeWithOptions({ ...quickCall, summary: `Place the ${nodes.length} nodes of cluster ${label}` }, [
          { clusterId, clientToken: clientToken('nodes') },
        ]),
      );
      await progress.run('Wait for nodes', () =>
        wait.waitForClusterNodes.executeWithOptions({ ...cloudWait, summary: `Wait for the ${nodes.length} nodes of cluster ${label} to run` }, [
          { clusterId },
        ]),
      );
      // Configure is simulated: it reads and writes the registry only.
      if (patched('cluster-ready-with-configure')) {
        // Ready is written with Configure's results: one local activity less at the end of every launch.
        await progress.run('Configure', () => record.configureCluster({ clusterId, markReady: true }));
        await progress.run('Mark ready', async () => progress.note('Mark ready', 'written with Configure'));
      } else {
        await progress.run('Configure', () => record.configureCluster({ clusterId }));
        await progress.run('Mark ready', () => record.setClusterStatus({ clusterId, status: 'ready' }));
      }
      return { status: 'ready' as const, nodes: nodes.length };
    });
  } catch (err) {
    const reason = isCancellation(err) ? 'launch cancelled' : describeFailure(err);
    await CancellationScope.nonCancellable(() => record.markClusterFailed({ clusterId, reason }));
    throw err;
  }
}

/** Releases every node of the cluster; it ends `destroyed`. */
export async function destroyCluster({ clusterId, label }: ClusterInput): Promise<{ status: 'destroyed'; released: number }> {
  const progress = new Progress(['Release nodes', 'Mark destroyed'], clusterResource(clusterId));
  try {
    const { released } = await progress.run('Release nodes', () =>
      wait.releaseClusterNodes.executeWithOptions({ ...cloudWait, summary: `Release the nodes of cluster ${label}` }, [{ clusterId }]),
    );
    await progress.run('Mark destroyed', () => record.markClusterDestroyed({ clusterId }));
    progress.completed();
    return { status: 'destroyed', released };
  } catch (err) {
    progress.failed(isCancellation(err) ? 'cancelled' : describeFailure(err));
    throw err;
  }
}
