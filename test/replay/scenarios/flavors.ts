import { expect } from 'vitest';
import { reconcileFlavors } from '../../../workflows/flavors';
import { flavorBody, flavorClient, readDoc, REGION_PASSWORD, REGION_USERNAME, registerRegion, tokenFor } from '../../flavors/support';
import type { Stack } from '../../support/stack';
import { waitFor } from '../../support/wait';

/**
 * Drives every flavor workflow through the API so the recorder captures: installFlavor (completed
 * in two regions; failed where a region already has that name), createRegionFlavor (completed;
 * failed on a taken name), deleteRegionFlavor and deleteFlavor (completed; failed when a region
 * refuses the credentials), and reconcileFlavors with the repair it starts. Failures are ones
 * that do not retry, so the scenario does not wait out the region timeout.
 */
export async function flavorsScenario(stack: Stack): Promise<void> {
  const api = flavorClient(stack, await tokenFor(stack, 'admin', 'global-admin'));
  for (const region of ['region-1', 'region-2']) await registerRegion(stack, api, region);
  const catalog = (region: string) => stack.cloud.regionCatalog({ url: stack.simcloudUrl, region, username: REGION_USERNAME, password: REGION_PASSWORD });
  const refused = { probability: 1, status: 401, code: 'unauthorized' as const };

  const duo = (await readDoc(await api.post('/v1/flavors', flavorBody('rec-duo', { nodes: ['region-1', 'region-2'] })), 'json')).flavor;
  const own = (await readDoc(await api.post('/v1/regions/region-2/flavors', flavorBody('rec-clash')), 'json')).flavor;
  expect((await api.post('/v1/regions/region-2/flavors', flavorBody('rec-clash'))).status).toBe(409);
  const clash = await api.post('/v1/flavors', flavorBody('rec-clash', { nodes: ['region-1', 'region-2'] }));
  expect(clash.status).toBe(409);
  expect((await api.delete(`/v1/region/region-2/flavors/${own.id}`)).status).toBe(204);

  const fault = await stack.cloud.addFaultRule({ ...refused, region: 'region-1', operation: 'deleteFlavor' });
  try {
    expect((await api.delete(`/v1/region/region-1/flavors/${duo.id}`)).status).toBe(403);
    expect((await api.delete(`/v1/flavors/${duo.id}`)).status).toBe(403);
  } finally {
    await stack.cloud.removeFaultRule(fault.id);
  }

  // Drift: the flavor disappears from region-1 behind our back; one reconcile run repairs it.
  await catalog('region-1').deleteFlavor(duo.id);
  const result = await stack.runWorkflow(reconcileFlavors);
  expect(result.repairs).toEqual([{ flavorId: duo.id, regions: ['region-1'], operationId: expect.any(String) }]);
  await waitFor(async () => ((await catalog('region-1').listFlavors()).some((f) => f.id === duo.id) ? true : undefined), 60_000, 200);

  for (const name of ['rec-duo', 'rec-clash']) {
    const { flavors } = await readDoc(await api.get('/v1/flavors'), 'json');
    const id = flavors.find((f: { name: string }) => f.name === name).id;
    // The repair may still be finishing: DELETE answers 409 until it has.
    const status = await waitFor(async () => {
      const res = await api.delete(`/v1/flavors/${id}`);
      return res.status === 409 ? undefined : res.status;
    });
    expect(status).toBe(204);
  }
  // Last, so it is the installFlavor the recorder keeps (it takes the newest run of each type): a two-region fan-out.
  expect((await api.post('/v1/flavors', flavorBody('rec-final', { nodes: ['region-1', 'region-2'] }))).status).toBe(201);
}
