import type { Db } from '../connection';
import { adminPassword, type Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { hashPassword } from '../../lib/passwords';

export const BOOTSTRAP_PROJECT = 'demo';
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * Makes a fresh installation usable: project `demo` and, when no user `admin` exists, an
 * admin with `ADMIN_PASSWORD` (dev default "admin"). Idempotent and safe for several API
 * replicas starting at once; an existing admin (and its password) is never touched.
 */
export async function bootstrapIdentity(db: Db, config: Config, logger?: Logger): Promise<{ adminCreated: boolean }> {
  const password = adminPassword(config);
  if (!password) throw new Error('ADMIN_PASSWORD must be set in production: it is the password of the bootstrap user "admin"');

  await db.insertInto('projects').values({ id: BOOTSTRAP_PROJECT, name: 'Demo' }).onConflict((oc) => oc.column('id').doNothing()).execute();

  const existing = await db.selectFrom('users').select('id').where('username', '=', BOOTSTRAP_ADMIN).executeTakeFirst();
  if (existing) return { adminCreated: false };

  const passwordHash = await hashPassword(password);
  const adminCreated = await db.transaction().execute(async (trx) => {
    const created = await trx
      .insertInto('users')
      .values({ username: BOOTSTRAP_ADMIN, password_hash: passwordHash, is_admin: true, default_project_id: BOOTSTRAP_PROJECT })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) return false; // another replica won the race
    await trx.insertInto('memberships').values({ user_id: created.id, project_id: BOOTSTRAP_PROJECT, role: 'admin' }).execute();
    return true;
  });
  if (adminCreated) {
    logger?.info(
      { username: BOOTSTRAP_ADMIN, project: BOOTSTRAP_PROJECT, passwordSource: config.ADMIN_PASSWORD ? 'ADMIN_PASSWORD' : 'development default' },
      'created bootstrap admin',
    );
  }
  return { adminCreated };
}
