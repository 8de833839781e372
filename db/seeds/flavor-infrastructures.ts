import type { CloudBackend } from '../../cloud/contract';
import type { Config } from '../../lib/config';
import type { Db } from '../connection';
import { sealRegionCredentials } from '../flavors';

/**
 * Development convenience: registers every region of the configured simcloud as a flavor-sync
 * infrastructure (keystone_url = SIMCLOUD_URL, simcloud's credentials, checked against each region
 * first), so the flavor API has regions out of the box. Idempotent: a registered name is left as it is.
 * Returns the names it registered now.
 */
export async function registerSimcloudRegions(db: Db, config: Config, cloud: Pick<CloudBackend, 'listRegions' | 'regionCatalog'>): Promise<string[]> {
  const registered: string[] = [];
  for (const { name } of await cloud.listRegions()) {
    const endpoint = { url: config.SIMCLOUD_URL, region: name, username: config.SIMCLOUD_USERNAME, password: config.SIMCLOUD_PASSWORD };
    await cloud.regionCatalog(endpoint).verifyCredentials();
    const inserted = await db
      .insertInto('flavor_infrastructures')
      .values({ name, keystone_url: config.SIMCLOUD_URL, tenant: 'provisio', credentials_sealed: sealRegionCredentials(config, endpoint), created_by: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (inserted) registered.push(name);
  }
  return registered;
}
