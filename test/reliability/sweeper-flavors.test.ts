import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOrphans } from '../../workflows/sweep';
import { flavorClient, REGION_PASSWORD, REGION_USERNAME, tokenFor, type FlavorClient } from '../flavors/support';
import { platformClient } from '../support/platform';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * The orphan sweeper over region flavors (issue 10): a region's catalog is shared and its flavors
 * carry no mark, so only a flavor whose id our catalog minted (an installFlavor operation of ours
 * ran on it) and whose catalog row is gone is ours to remove — once older than the grace period,
 * as an operation. Flavors created in the region by anyone else, the private region flavors of the
 * API and the catalog's live flavors are never touched.
 */
const GRACE_MS = 1500;
let stack: Stack;
let admin: FlavorClient;

beforeAll(async () => {
  stack = await startStack();
  admin = flavorClient(stack, await tokenFor(stack, 'admin', 'global-admin'));
  const infra = { infrastructure: { name: 'region-1', keystone_url: stack.simcloudUrl, username: REGION_USERNAME, password: REGION_PASSWORD, tenant: 'sweep' } };
  await admin.expect(await admin.post('/v1/infrastructures', infra), 201);
});
afterAll(async () => {
  await stack?.stop();
});

const sweep = (graceMs = GRACE_MS) => stack.runWorkflow(sweepOrphans, { domain: 'flavors', graceMs });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const catalog = () => stack.cloud.regionCatalog({ url: stack.simcloudUrl, region: 'region-1', username: REGION_USERNAME, password: REGION_PASSWORD });
const regionIds = async () => new Set((await catalog().listFlavors()).map((f) => f.id));

async function installed(name: string): Promise<string> {
  const res = await admin.post('/v1/flavors', { flavor: { name, vcpus: 1, ram: 256, disk: 1, swap: 0, nodes: ['region-1'] } });
  return JSON.parse(await admin.expect(res, 201)).flavor.id;
}

describe('flavors: orphan region flavors', () => {
  it('leaves the catalog’s flavors, the region’s own and anyone else’s alone', async () => {
    await installed('swept-kept');
    await admin.expect(await admin.post('/v1/regions/region-1/flavors', { flavor: { name: 'swept-private', vcpus: 1, ram: 128, disk: 1, swap: 0 } }), 201);
    await catalog().createFlavor({ id: 'm1.operator', name: 'swept-operator', vcpus: 1, ram: 64, disk: 1 });
    await catalog().createFlavor({ id: randomUUID(), name: 'swept-stranger', vcpus: 1, ram: 64, disk: 1 });
    await pause(GRACE_MS + 100);
    const report = await sweep();
    expect(report.drift).toEqual([]);
    expect(report.marked).toBe(0);
  });

  it('removes a flavor our catalog installed and then lost track of, once older than the grace period, as an operation', async () => {
    // An install whose record was lost (the region created it, then the install could not record
    // the node), then the flavor deleted: the delete did not know the region held it.
    const id = await installed('swept-lost');
    await stack.db.deleteFrom('flavor_nodes').where('flavor_id', '=', id).execute();
    await admin.expect(await admin.delete(`/v1/flavors/${id}`), 204);
    expect((await regionIds()).has(id)).toBe(true);

    const early = await sweep(60_000);
    expect(early.drift).toEqual([expect.objectContaining({ kind: 'orphan-object', objectKind: 'region-flavor', cloudId: `region-1.${id}`, action: 'wait' })]);
    expect(early.started).toEqual([]);

    await pause(GRACE_MS + 100);
    const late = await sweep();
    expect(late.drift).toEqual([expect.objectContaining({ cloudId: `region-1.${id}`, owner: expect.objectContaining({ resourceType: 'flavor', resourceId: id }), action: 'remove' })]);
    expect(late.started).toHaveLength(1);
    const platform = platformClient(stack);
    const op = await waitFor(async () => {
      const o = await (await platform.get(`/v1/operations/${late.started[0]}`)).json();
      return o.status === 'completed' ? o : undefined;
    });
    expect(op).toMatchObject({ type: 'removeOrphanObject', resource: { type: 'region-flavor', id: `region-flavor/region-1.${id}` } });
    expect((await regionIds()).has(id)).toBe(false);
    expect((await sweep()).drift).toEqual([]);
  });
});
