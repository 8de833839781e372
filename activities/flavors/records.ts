import type { ActivityDeps } from '../deps';

/** The flavor catalog's own state: which regions hold a flavor. Run as local activities (database only). */
export function createFlavorRecordActivities({ db }: ActivityDeps) {
  return {
    async flavorNodes({ flavorId }: { flavorId: string }): Promise<string[]> {
      const rows = await db
        .selectFrom('flavor_nodes')
        .select('infrastructure_name')
        .where('flavor_id', '=', flavorId)
        .orderBy('installed_at')
        .orderBy('infrastructure_name')
        .execute();
      return rows.map((r) => r.infrastructure_name);
    },

    /** The region holds the flavor now (idempotent). */
    async recordFlavorNode({ flavorId, region }: { flavorId: string; region: string }): Promise<void> {
      await db
        .insertInto('flavor_nodes')
        .values({ flavor_id: flavorId, infrastructure_name: region })
        .onConflict((oc) => oc.columns(['flavor_id', 'infrastructure_name']).doNothing())
        .execute();
    },

    async forgetFlavorNode({ flavorId, region }: { flavorId: string; region: string }): Promise<void> {
      await db.deleteFrom('flavor_nodes').where('flavor_id', '=', flavorId).where('infrastructure_name', '=', region).execute();
    },

    /** Deletes the flavor once no region holds it any more. */
    async forgetFlavor({ flavorId }: { flavorId: string }): Promise<void> {
      await db
        .deleteFrom('flavors')
        .where('id', '=', flavorId)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('flavor_nodes').select('flavor_id').where('flavor_id', '=', flavorId))))
        .execute();
    },
  };
}
