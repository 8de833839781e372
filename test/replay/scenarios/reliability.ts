import { expect } from 'vitest';
import { ownerMark } from '../../../lib/inventory';
import { emptyShape } from '../../../workflows/bench';
import { superviseInstances } from '../../../workflows/compute';
import { sweepOrphans } from '../../../workflows/sweep';
import { kahuSession } from '../../support/kahu';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/**
 * The reliability workflows: the bench's empty shape (with its child), the instance supervisor
 * and the operation it starts when a VM crashed (followInstanceVm), and the orphan sweeper with
 * the removal it starts (removeOrphanVm).
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
}
