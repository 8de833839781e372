import { regionEndpointOf } from '../../db/flavors';
import type { ObjectKind } from '../../lib/inventory';
import { FLAVOR_RESOURCE } from '../../workflows/flavors/names';
import type { ActivityDeps } from '../deps';
import { isNotFound } from '../support/cloud-errors';
import type { CloudObject, DomainInventory } from './types';

/** `<region>.<flavor id>` (region names hold no dot), as the domain's own region-flavor resource ids. */
const regionFlavorId = (region: string, flavorId: string) => `${region}.${flavorId}`;
function parseRegionFlavorId(cloudId: string): { region: string; flavorId: string } {
  const cut = cloudId.indexOf('.');
  return { region: cloudId.slice(0, cut), flavorId: cloudId.slice(cut + 1) };
}

/**
 * The flavor catalog across regions. A region's catalog is shared with whoever else administers
 * the region, and a region flavor carries no mark (the catalog has no place for one), so the
 * sweeper removes only what the platform provably owns: a flavor whose id this platform minted for
 * its catalog — an `installFlavor` operation of ours ran on `flavor/<that id>` — and whose catalog
 * row is gone. That is a flavor left in a region by an install whose record was lost (the region
 * created it, then stopped answering before the install recorded the node), after which deleting
 * the flavor could not know to remove it there. Everything else in a region — flavors created by
 * hand or by another deployment, and the private region flavors of `POST /v1/regions/{region}/flavors`
 * (the region's own, by contract; never a catalog row) — carries no such proof and is never touched.
 *
 * The other direction — a catalog flavor missing from a region that should hold it — is the
 * `flavors/reconcile` schedule's (it reinstalls it), so no row is expected here.
 */
export function flavorInventory({ db, cloud, config }: ActivityDeps): DomainInventory {
  async function catalogOf(region: string) {
    const infrastructure = await db.selectFrom('flavor_infrastructures').selectAll().where('name', '=', region).executeTakeFirst();
    return infrastructure ? cloud.regionCatalog(regionEndpointOf(config, infrastructure)) : null;
  }

  return {
    domain: 'flavors',
    async expected() {
      return [];
    },

    async cloudObjects(kinds: readonly ObjectKind[] = ['region-flavor']) {
      if (!kinds.includes('region-flavor')) return [];
      const infrastructures = await db.selectFrom('flavor_infrastructures').selectAll().orderBy('name').execute();
      // A region that cannot be read now is compared on a later sweep.
      const held = (
        await Promise.all(
          infrastructures.map(async (infrastructure) => {
            try {
              const flavors = await cloud.regionCatalog(regionEndpointOf(config, infrastructure)).listFlavors();
              return flavors.map((flavor) => ({ region: infrastructure.name, flavor }));
            } catch {
              return [];
            }
          }),
        )
      ).flat();
      const ids = [...new Set(held.map((h) => h.flavor.id))];
      const [minted, rows] = ids.length
        ? await Promise.all([
            db
              .selectFrom('operations')
              .select(['resource_id', 'project_id'])
              .where('resource_type', '=', FLAVOR_RESOURCE)
              .where('workflow_type', '=', 'installFlavor')
              .where('resource_id', 'in', ids.map((id) => `${FLAVOR_RESOURCE}/${id}`))
              .execute(),
            db.selectFrom('flavors').select('id').where('id', 'in', ids).execute(),
          ])
        : [[], []];
      const ours = new Map(minted.map((m) => [m.resource_id.slice(FLAVOR_RESOURCE.length + 1), m.project_id]));
      const inCatalog = new Set(rows.map((r) => r.id));
      return held.map(
        ({ region, flavor }): CloudObject => ({
          kind: 'region-flavor',
          cloudId: regionFlavorId(region, flavor.id),
          name: flavor.name,
          // The mark, for a region flavor: minted by our catalog, and no longer in it.
          owner:
            ours.has(flavor.id) && !inCatalog.has(flavor.id) ? { resourceType: FLAVOR_RESOURCE, resourceId: flavor.id, projectId: ours.get(flavor.id) ?? null } : null,
          createdAt: flavor.createdAt,
          state: 'available',
        }),
      );
    },

    async isClaimed(object) {
      const { flavorId } = parseRegionFlavorId(object.cloudId);
      return !!(await db.selectFrom('flavors').select('id').where('id', '=', flavorId).executeTakeFirst());
    },

    async readObject(_kind, cloudId) {
      const { region, flavorId } = parseRegionFlavorId(cloudId);
      const catalog = await catalogOf(region);
      if (!catalog) return null;
      try {
        const flavor = await catalog.getFlavor(flavorId);
        return { name: flavor.name, state: 'available' };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    async deleteObject(_kind, cloudId) {
      const { region, flavorId } = parseRegionFlavorId(cloudId);
      await (await catalogOf(region))?.deleteFlavor(flavorId);
    },
  };
}
