/**
 * Flavors (FIWARE flavor-sync) under chaos: a flavor is created and installed into one region,
 * installed into the others, published, and deleted from every region (3 operations on
 * `flavor/<id>`; publishing is a plain update). A region that does not answer within the region
 * bound fails its operation naming it (the API answers 502); the flavor is deleted all the same.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { moreThanOnce, type ChaosDriver, type DriverContext } from './types';

const headers = (ctx: DriverContext) => ({ 'x-auth-token': ctx.client.credentials.token, 'content-type': 'application/json', accept: 'application/json' });

let regions: string[] = [];

async function remove(ctx: DriverContext, id: string): Promise<boolean> {
  await ctx.client.step('flavors', { type: 'deleteFlavor', resource: `flavor/${id}`, method: 'DELETE', path: `/v1/flavors/${id}`, headers: headers(ctx), accept: [202, 204] });
  const row = await ctx.db.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst();
  return !row;
}

export const flavorDriver: ChaosDriver = {
  surface: 'flavors',

  async setup(ctx) {
    regions = (await ctx.db.selectFrom('flavor_infrastructures').select('name').orderBy('name').execute()).map((r) => r.name);
    if (!regions.length) throw new Error('flavors: no infrastructure registered (the cluster registers simcloud regions)');
  },

  async lifecycle(ctx, index) {
    const name = `${ctx.runId}-f${index}`;
    const [first, ...others] = regions;
    const create = await ctx.client.step('flavors', {
      type: 'installFlavor',
      method: 'POST',
      path: '/v1/flavors',
      body: JSON.stringify({ flavor: { name, vcpus: 1 + (index % 4), ram: 512, disk: 1, swap: 0, nodes: [first] } }),
      headers: headers(ctx),
      cancellable: true,
      accept: [201, 202],
    });
    const id: string | undefined =
      create.answer?.body?.flavor?.id ?? (await ctx.db.selectFrom('flavors').select('id').where('name', '=', name).executeTakeFirst())?.id;
    if (!id) return;
    const resource = `flavor/${id}`;
    if (others.length && !ctx.stopping()) {
      await ctx.client.step('flavors', {
        type: 'installFlavor',
        resource,
        method: 'PUT',
        path: `/v1/flavors/${id}`,
        body: JSON.stringify({ flavor: { nodes: others } }),
        headers: headers(ctx),
        accept: [200, 202],
      });
    }
    await ctx.client.step('flavors', { type: 'publishFlavor', resource, method: 'PUT', path: `/v1/flavors/${id}`, body: JSON.stringify({ flavor: { public: true } }), headers: headers(ctx), accept: [200] });
    if (ctx.keep()) return;
    await remove(ctx, id);
  },

  async cleanup(ctx, deadline) {
    let left: Array<{ id: string; name: string }> = [];
    while (Date.now() < deadline) {
      left = await ctx.db.selectFrom('flavors').select(['id', 'name']).where('name', 'like', `${ctx.runId}-f%`).execute();
      if (!left.length) return [];
      await Promise.all(left.map((f) => remove(ctx, f.id)));
      await pause(2_000);
    }
    return left.map((f) => `flavor/${f.id} (${f.name})`);
  },

  async owned(ctx) {
    const rows = await ctx.db.selectFrom('flavor_nodes').select(['flavor_id', 'infrastructure_name']).execute();
    return rows.map((r) => ({ kind: 'flavor' as const, id: `${r.infrastructure_name}/${r.flavor_id}`, owner: `flavor/${r.flavor_id}` }));
  },

  claims(obj, ctx) {
    return obj.kind === 'flavor' && obj.object.name.startsWith(`${ctx.runId}-f`);
  },

  async ownerOf(obj) {
    // A catalog flavor has the same id in every region.
    return obj.kind === 'flavor' ? `flavor/${obj.object.id}` : undefined;
  },

  async duplicates(ctx, cloud) {
    const rows = await ctx.db.selectFrom('flavors').select(['id', 'name']).where('name', 'like', `${ctx.runId}-f%`).execute();
    return [
      ...moreThanOnce(rows, (r) => r.name, (name, g) => `${name}: ${g.length} flavors for one create request`),
      // A flavor present twice in a region: by name, and by id.
      ...moreThanOnce(cloud.flavors, (f) => `${f.region}/${f.name}`, (k, g) => `${k}: ${g.length} flavors of that name in the region`),
      ...moreThanOnce(cloud.flavors, (f) => `${f.region}/${f.id}`, (k, g) => `${k}: ${g.length} copies in the region`),
    ];
  },

  async leftovers(ctx) {
    const rows = await ctx.db.selectFrom('flavors').select(['id', 'name']).where('name', 'like', `${ctx.runId}-f%`).execute();
    return rows.map((f) => `flavor/${f.id} (${f.name})`);
  },
};
