import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OperationProgress } from '../../workflows/support/progress';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { createApp, getApp, gitRepository, liveCounts, operationsOf, paasClient, smallApp, V1, waitForStatus, type PaasClient } from './support';

let stack: Stack;
let paas: PaasClient;
let repo: Awaited<ReturnType<typeof gitRepository>>;

beforeAll(async () => {
  stack = await startStack({
    config: { APPS_AUTOSCALE_PERIOD_MS: '100', APPS_AUTOSCALE_COOLDOWN_MS: '500', APPS_AUTOSCALE_LOW_MARK: '60', APPS_AUTOSCALE_TICKS_PER_RUN: '5' },
    simcloud: { buildStepMs: 20 },
  });
  paas = await paasClient(stack);
  repo = await gitRepository();
});
afterAll(async () => {
  await repo?.remove();
  await stack?.stop();
});

const activeHosts = async (appId: string) => (await getApp(paas, appId)).mediaServerGroup.hosts.filter((h: any) => h.status === 'ACTIVE');
const vmOf = async (hostname: string) => (await stack.cloud.listVms()).find((v) => v.name === hostname)!;

it('scales out when the load reaches the threshold and back in when it drops, each step an operation with its reason', async () => {
  const baseline = await liveCounts(stack);
  const created = await createApp(paas, smallApp(repo.url, { name: 'elastic', scaleOutLimit: 2 }));
  await waitForStatus(paas, created.id, 'RUNNING');
  const autoscaler = stack.temporal.workflow.getHandle(`${stack.config.WORKFLOW_ID_PREFIX}app/${created.id}/autoscaler`);
  const first = await waitFor(() => autoscaler.describe().catch(() => undefined));
  expect(first.status.name).toBe('RUNNING');

  // One SMALL media server (100 points) reports 150: at or above the default threshold 140.
  const [host1] = await activeHosts(created.id);
  await stack.cloud.setLoad((await vmOf(host1.hostname)).id, 'capacity', 150);
  const two = await waitFor(async () => {
    const hosts = await activeHosts(created.id);
    return hosts.length === 2 ? hosts : undefined;
  }, 30_000, 100);
  const ops = await operationsOf(stack, created.id);
  const out = ops.find((o) => o.workflow_type === 'scaleOutMediaServers')!;
  expect(out.summary).toMatch(/autoscaler: average consumed capacity 150 on 1 ACTIVE media server\(s\) ≥ threshold 140/);
  expect(out.created_by).toBeNull();

  // At the limit (2) the load stays high: nothing more; then it drops to 20 + 0: scale in, the newest goes.
  await stack.cloud.setLoad((await vmOf(host1.hostname)).id, 'capacity', 20);
  const one = await waitFor(async () => {
    const hosts = await activeHosts(created.id);
    return hosts.length === 1 ? hosts : undefined;
  }, 30_000, 100);
  expect(one[0].hostname).toBe(host1.hostname);
  expect(two.map((h: any) => h.hostname)).toContain(host1.hostname);
  const inOp = (await operationsOf(stack, created.id)).find((o) => o.workflow_type === 'scaleInMediaServers')!;
  expect(inOp.summary).toMatch(/autoscaler: average consumed capacity 10 on 2 ACTIVE media server\(s\) ≤ low mark 60/);
  expect((await operationsOf(stack, created.id)).filter((o) => o.workflow_type === 'scaleOutMediaServers')).toHaveLength(1);

  // Its progress tells the last decision; it has continued as new to keep its history short.
  const progress = await autoscaler.query<OperationProgress>('progress');
  expect(progress.steps[0]!.detail).toMatch(/^run \d+, tick \d+: /);
  await waitFor(async () => ((await autoscaler.describe()).runId !== first.runId ? true : undefined));

  // Deleting the app stops its autoscaler and releases everything.
  expect((await paas.delete(`${V1}/app/${created.id}`)).status).toBe(200);
  expect((await autoscaler.describe()).status.name).not.toBe('RUNNING');
  expect(await liveCounts(stack)).toEqual(baseline);
});
