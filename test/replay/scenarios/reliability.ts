import { expect } from 'vitest';
import { ownerMark } from '../../../lib/inventory';
import { emptyShape } from '../../../workflows/bench';
import { superviseInstances } from '../../../workflows/compute';
import { sweepOrphans } from '../../../workflows/sweep';
import { apiToken, bigdata, launch, MINIMAL_JSON, registerProduct, SIZE_OPTIONS, waitForStatus } from '../../clusters/support';
import { kahuSession } from '../../support/kahu';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/**
 * The reliability workflows: the bench's empty shape (with its child), the instance supervisor
 * and the operation it starts when a VM crashed (followInstanceVm), and the orphan sweeper with
 * the removals and repairs it starts (removeOrphanVm; removeOrphanObject for an orphan
 * deployment; repairVanishedObject for a cluster node whose deployment vanished).
 */
export async function reliabilityScenario(stack: Stack): Promise<void> {
  await stack.runWorkflow(emptyShape, 1, 2, 1);

  const kahu = await kahuSession(stack);
  const created = await kahu.post('/v0/compute/instance/', { profile: 'empty', size: '1cpu256mb', name: 'rec-supervised' });
  expect(created.status).toBe(201);
  const loc = created.headers.get('location')!;
  expect((await kahu.post(`${loc}start`)).status).toBe(200);
  const id = Number(loc.match(/instance\/(\d+)/)![1]);
  const row = await stack.db.selectFrom('instances').select('vm_id').where('id', '=', id).executeTakeFirstOrThrow();
  await stack.cloud.crashVm(row.vm_id!, 'crashed while recording histories');
  expect((await stack.runWorkflow(superviseInstances)).started).toBeGreaterThanOrEqual(1);
  await waitFor(async () => ((await (await kahu.get(loc)).json()).state === 'error' ? true : undefined));

  const prefix = stack.config.WORKFLOW_ID_PREFIX;
  const orphan = await stack.cloud.createVm({
    clientToken: `${prefix}instance/999999/recording/vm`,
    name: 'rec-orphan',
    cpu: 1,
    memoryMb: 128,
    diskMb: 1,
    context: ownerMark(prefix, { resourceType: 'instance', resourceId: '999999', projectId: 'demo' }),
  });
  const report = await stack.runWorkflow(sweepOrphans, { domain: 'compute', graceMs: 0 });
  expect(report.drift.some((d) => d.cloudId === orphan.id && d.action === 'remove')).toBe(true);
  await stack.temporal.workflow.getHandle(`${prefix}vm/${orphan.id}`).result();

  // Containers: an orphan deployment marked for a cluster no node of which owns it, and a ready
  // cluster whose node's deployment vanished.
  const api = bigdata(stack, await apiToken(stack));
  await registerProduct(api, { name: 'rec-swept', version: '1.0', template: MINIMAL_JSON, options: SIZE_OPTIONS });
  const { uri } = await launch(api, 'rec-swept', '1.0', { size: 1 });
  await waitForStatus(api, uri, 'ready');
  const node = await stack.db
    .selectFrom('cluster_nodes')
    .innerJoin('clusters', 'clusters.id', 'cluster_nodes.cluster_id')
    .select(['cluster_nodes.cluster_id', 'cluster_nodes.deployment_id'])
    .where('clusters.product', '=', 'rec-swept')
    .executeTakeFirstOrThrow();
  await stack.cloud.deleteDeployment(node.deployment_id!);
  const stray = await stack.cloud.createDeployment({
    clientToken: `${prefix}cluster/999999/recording/node`,
    name: 'rec-orphan-node',
    image: 'centos:7',
    replicas: 1,
    cpu: 0.1,
    memoryMb: 64,
    labels: ownerMark(prefix, { resourceType: 'cluster', resourceId: '999999', projectId: 'demo' }),
  });
  const swept = await stack.runWorkflow(sweepOrphans, { domain: 'clusters', graceMs: 0 });
  expect(swept.drift.map((d) => d.action).sort()).toEqual(['remove', 'repair']);
  await stack.temporal.workflow.getHandle(`${prefix}deployment/${stray.id}`).result();
  await stack.temporal.workflow.getHandle(`${prefix}cluster/${node.cluster_id}`).result();
}
