import { sql, type Selectable } from 'kysely';
import type { RegionFlavor } from '../../cloud/contract';
import type { Db } from '../../db/connection';
import type { FlavorsTable } from '../../db/flavors';
import type { FlavorView } from './schemas';

/** A catalog flavor with the regions holding it (in install order), as the blueprint shows it. */
export type FlavorRow = Selectable<FlavorsTable> & { nodes: string[] };

/** What a catalog flavor and a region's flavor share. */
const specOf = (f: Pick<FlavorView, 'id' | 'name' | 'vcpus' | 'ram' | 'disk' | 'swap'>) => ({
  id: f.id,
  name: f.name,
  vcpus: f.vcpus,
  ram: f.ram,
  disk: f.disk,
  swap: f.swap,
});

export const flavorView = (f: FlavorRow): FlavorView => ({ ...specOf(f), promoted: f.promoted, public: f.public, nodes: f.nodes });

/** A flavor of a region's own catalog; upstream showed them as private flavors of that one node. */
export const regionFlavorView = (f: RegionFlavor): FlavorView => ({ ...specOf(f), promoted: false, public: false, nodes: [f.region] });

export interface FlavorFilter {
  public?: boolean;
  promoted?: boolean;
  limit?: number;
  /** The id of the last flavor of the previous page: the page starts after its name. */
  marker?: string;
  id?: string;
}

/** Catalog flavors with their nodes, in one query (ordered by name, which is unique). */
export async function findFlavors(db: Db, filter: FlavorFilter = {}): Promise<FlavorRow[]> {
  let q = db
    .selectFrom('flavors as f')
    .selectAll('f')
    .select(
      sql<string[]>`array(select n.infrastructure_name from flavor_nodes n where n.flavor_id = f.id order by n.installed_at, n.infrastructure_name)`.as('nodes'),
    );
  if (filter.id !== undefined) q = q.where('f.id', '=', filter.id);
  if (filter.public !== undefined) q = q.where('f.public', '=', filter.public);
  if (filter.promoted !== undefined) q = q.where('f.promoted', '=', filter.promoted);
  if (filter.marker !== undefined) {
    const marker = filter.marker;
    q = q.where('f.name', '>', (eb) => eb.selectFrom('flavors').select('name').where('id', '=', marker));
  }
  return q.orderBy('f.name').limit(filter.limit ?? 1000).execute();
}

export async function findFlavor(db: Db, id: string): Promise<FlavorRow | undefined> {
  return (await findFlavors(db, { id, limit: 1 }))[0];
}
