import type { RegionFlavor } from '../../cloud/contract';
import { regionEndpointOf } from '../../db/flavors';
import { OperationInProgressError, startOperation } from '../../lib/operations';
import { installFlavor } from '../../workflows/flavors';
import { FLAVOR_RESOURCE } from '../../workflows/flavors/names';
import type { ActivityDeps } from '../deps';

export interface MissingFlavor {
  flavorId: string;
  /** Regions recorded as holding the flavor whose catalog does not have it. */
  regions: string[];
}

export interface FlavorDrift {
  missing: MissingFlavor[];
  /** Missing where the region now has another flavor of that name: a reinstall would only fail, so it is reported instead. */
  conflicts: Array<{ flavorId: string; region: string; reason: string }>;
  unreadable: Array<{ region: string; reason: string }>;
}

const byRegion = (a: { region: string }, b: { region: string }) => a.region.localeCompare(b.region);

/** What the reconcile schedule needs: each region's real catalog against the recorded nodes, and a way to start repairs. */
export function createFlavorReconcileActivities(deps: ActivityDeps) {
  const { db, cloud, config, logger } = deps;
  return {
    /** Reads every region that should hold flavors (all at once); a region that cannot be read is reported, not guessed at. */
    async findFlavorDrift(): Promise<FlavorDrift> {
      const nodes = await db
        .selectFrom('flavor_nodes as n')
        .innerJoin('flavors as f', 'f.id', 'n.flavor_id')
        .select(['n.flavor_id', 'n.infrastructure_name', 'f.name'])
        .orderBy('n.flavor_id')
        .orderBy('n.infrastructure_name')
        .execute();
      const regions = [...new Set(nodes.map((n) => n.infrastructure_name))];
      const infrastructures = regions.length ? await db.selectFrom('flavor_infrastructures').selectAll().where('name', 'in', regions).execute() : [];
      const held = new Map<string, RegionFlavor[]>();
      const unreadable: FlavorDrift['unreadable'] = [];
      await Promise.all(
        infrastructures.map(async (infrastructure) => {
          try {
            held.set(infrastructure.name, await cloud.regionCatalog(regionEndpointOf(config, infrastructure)).listFlavors());
          } catch (err) {
            unreadable.push({ region: infrastructure.name, reason: err instanceof Error ? err.message : String(err) });
          }
        }),
      );
      const missing = new Map<string, string[]>();
      const conflicts: FlavorDrift['conflicts'] = [];
      for (const n of nodes) {
        const catalog = held.get(n.infrastructure_name);
        if (!catalog || catalog.some((f) => f.id === n.flavor_id)) continue;
        const namesake = catalog.find((f) => f.name === n.name);
        if (namesake) {
          conflicts.push({ flavorId: n.flavor_id, region: n.infrastructure_name, reason: `${n.infrastructure_name} has another flavor named ${n.name} (id ${namesake.id})` });
        } else {
          missing.set(n.flavor_id, [...(missing.get(n.flavor_id) ?? []), n.infrastructure_name]);
        }
      }
      return {
        missing: [...missing].map(([flavorId, r]) => ({ flavorId, regions: r })),
        conflicts,
        unreadable: unreadable.sort(byRegion),
      };
    },

    /**
     * Starts the reinstall of a flavor where it went missing, as an operation on the flavor like a
     * client's. Returns its id, or null when there is nothing to do any more or another operation
     * holds the flavor (the next reconcile looks again).
     */
    async startFlavorRepair({ flavorId, regions }: MissingFlavor): Promise<string | null> {
      const flavor = await db.selectFrom('flavors').select(['name', 'project_id']).where('id', '=', flavorId).executeTakeFirst();
      if (!flavor) return null;
      // Only regions still recorded: a delete may have forgotten some since the comparison.
      const recorded = await db
        .selectFrom('flavor_nodes')
        .select('infrastructure_name')
        .where('flavor_id', '=', flavorId)
        .where('infrastructure_name', 'in', regions)
        .orderBy('infrastructure_name')
        .execute();
      const stillMissing = recorded.map((r) => r.infrastructure_name);
      if (!stillMissing.length) return null;
      try {
        const started = await startOperation(deps, {
          workflow: installFlavor,
          args: [{ flavorId, regions: stillMissing, regionTimeoutMs: config.FLAVORS_REGION_TIMEOUT_MS }],
          resourceType: FLAVOR_RESOURCE,
          resourceId: flavorId,
          projectId: flavor.project_id,
          summary: `Repair: reinstall flavor ${flavor.name} in ${stillMissing.join(', ')} (missing from the region's catalog)`,
          userId: null,
        });
        logger.info({ flavorId, regions: stillMissing, operationId: started.operationId }, 'flavor repair started');
        return started.operationId;
      } catch (err) {
        if (err instanceof OperationInProgressError) return null;
        throw err;
      }
    },
  };
}
