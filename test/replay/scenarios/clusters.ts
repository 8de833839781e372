import { expect } from 'vitest';
import { apiToken, BASE, bigdata, FABFILE, launch, MINIMAL_JSON, registerProduct, SIZE_OPTIONS, waitForStatus } from '../../clusters/support';
import { platformClient } from '../../support/platform';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/**
 * Drives every clusters workflow through the API so the recorder captures: launchCluster
 * (completed; failed with its placed nodes compensated; cancelled mid-placement) and
 * destroyCluster (completed).
 */
export async function clustersScenario(stack: Stack): Promise<void> {
  const api = bigdata(stack, await apiToken(stack));
  await registerProduct(api, { name: 'rec-reference', version: '1.0.0', template: MINIMAL_JSON, options: SIZE_OPTIONS, orchestrator: FABFILE });
  await registerProduct(api, {
    name: 'rec-bigfoot',
    version: '1.0',
    template: MINIMAL_JSON.replace('"cpu": 1', '"cpu": {{ opts.cpu }}'),
    options: { required: { size: 1 }, optional: { cpu: 48 }, advanced: {}, descriptions: {} },
  });

  // Happy path: launch to ready, then destroy.
  const ready = await launch(api, 'rec-reference', '1.0.0', { size: 2 });
  await waitForStatus(api, ready.uri, 'ready');
  expect((await api.delete(ready.uri.slice(BASE.length))).status).toBe(200);

  // Capacity failure: more 48-core nodes than a region's hosts hold; the placed ones are removed.
  const tooBig = await launch(api, 'rec-bigfoot', '1.0', { size: 6 });
  await waitForStatus(api, tooBig.uri, 'failed');

  // Cancelled while its nodes are being placed.
  await stack.cloud.addFaultRule({ operation: 'createDeployment', resource: 'deployment', probability: 1, latencyMs: 1000 });
  try {
    const res = await api.post('/products/rec-bigfoot/1.0', { size: 1, cpu: 1 });
    const operation = res.headers.get('operation-location')!;
    const platform = platformClient(stack);
    await waitFor(async () => {
      const op = await (await platform.get(operation)).json();
      return op.steps.find((s: { name: string; state: string }) => s.name === 'Place nodes')?.state === 'running' ? true : undefined;
    });
    expect((await platform.post(`${operation}/cancel`)).status).toBe(202);
    await waitFor(async () => ((await (await platform.get(operation)).json()).status === 'cancelled' ? true : undefined));
  } finally {
    await stack.cloud.clearFaults();
  }
}
