import type { ColumnType, Generated } from 'kysely';
import type { RegionEndpoint } from '../cloud/contract';
import { secretKey, type Config } from '../lib/config';
import { openSecret, sealSecret } from '../lib/secrets';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/**
 * A registered infrastructure (FIWARE "node"): one region of a cloud, reached at `keystone_url`
 * with credentials kept sealed (lib/secrets.ts, REGION_CREDENTIALS_PURPOSE). The name is the
 * region's name.
 */
export interface FlavorInfrastructuresTable {
  name: string;
  keystone_url: string;
  tenant: string;
  /** JSON `{username, password}`, sealed; opened only to call the region. */
  credentials_sealed: string;
  created_by: string | null;
  created_at: CreatedAt;
}

/** A flavor of the shared catalog. `public` and `promoted` only ever go from false to true. */
export interface FlavorsTable {
  id: string;
  name: string;
  vcpus: number;
  /** MB */
  ram: number;
  /** GB */
  disk: number;
  /** MB */
  swap: number;
  public: boolean;
  promoted: boolean;
  /** The project whose manager created it: its operations (and their repairs) are recorded there. */
  project_id: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Where a flavor really is: one row per region whose catalog holds it (written after the region confirmed). */
export interface FlavorNodesTable {
  flavor_id: string;
  infrastructure_name: string;
  installed_at: Generated<Date>;
}

export interface FlavorTables {
  flavor_infrastructures: FlavorInfrastructuresTable;
  flavors: FlavorsTable;
  flavor_nodes: FlavorNodesTable;
}

export const REGION_CREDENTIALS_PURPOSE = 'provisio/flavors/region-credentials';

export interface RegionCredentials {
  username: string;
  password: string;
}

export function sealRegionCredentials(config: Config, credentials: RegionCredentials): string {
  return sealSecret(JSON.stringify({ username: credentials.username, password: credentials.password }), secretKey(config), REGION_CREDENTIALS_PURPOSE);
}

/** The endpoint of a registered infrastructure, its credentials opened: for the call at hand only, never stored or logged. */
export function regionEndpointOf(
  config: Config,
  infrastructure: Pick<FlavorInfrastructuresTable, 'name' | 'keystone_url' | 'credentials_sealed'>,
): RegionEndpoint {
  const { username, password } = JSON.parse(openSecret(infrastructure.credentials_sealed, secretKey(config), REGION_CREDENTIALS_PURPOSE)) as RegionCredentials;
  return { url: infrastructure.keystone_url, region: infrastructure.name, username, password };
}
