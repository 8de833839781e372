import type { Db } from '../../db/connection';
import { clusterLabel } from '../../db/clusters';
import { requireProjectAccess } from '../auth/access';
import type { Principal } from '../auth/principal';
import { clusterError, notFound } from './errors';

/**
 * Who may do what. Products are a catalog shared by the platform: any token reads it, global
 * admins and the admins and managers of their default project change it. Clusters belong to the
 * user who launched them, in the project of the launch: nobody else sees them (global admins
 * excepted), and a project-scoped token sees only that project's.
 */

/**
 * Only the default project counts, which only a global admin assigns: anyone may create a project
 * and administer it, so a role there must not reach the catalog every project shares. A token
 * scoped to another project narrows, never widens.
 */
export async function requireCatalogManager(db: Db, principal: Principal): Promise<void> {
  if (principal.isAdmin) return;
  const projectId = principal.defaultProjectId;
  const manages =
    !!projectId &&
    (!principal.tokenProjectId || principal.tokenProjectId === projectId) &&
    !!(await db
      .selectFrom('memberships')
      .select('project_id')
      .where('user_id', '=', principal.userId)
      .where('project_id', '=', projectId)
      .where('role', 'in', ['admin', 'manager'])
      .executeTakeFirst());
  if (!manages) throw clusterError(403, 'forbidden', 'registering or changing products needs the admin or manager role in your default project');
}

/** The project a launch lands in: the token's, else the user's default one, where they are at least a member. */
export async function launchProject(db: Db, principal: Principal): Promise<string> {
  const projectId = principal.tokenProjectId ?? principal.defaultProjectId;
  if (!projectId) throw clusterError(403, 'forbidden', 'your user has no default project to hold clusters: use a token scoped to a project');
  await requireProjectAccess(db, principal, projectId, 'member');
  return projectId;
}

/** Clusters the caller may see; queue entries (not yet registered) only when asked for. */
export function visibleClusters(db: Db, principal: Principal, { withQueued = false } = {}) {
  let q = db.selectFrom('clusters');
  if (!withQueued) q = q.where('status', '!=', 'pending');
  if (!principal.isAdmin) q = q.where('owner_id', '=', principal.userId);
  if (principal.tokenProjectId) q = q.where('project_id', '=', principal.tokenProjectId);
  return q;
}

export interface ClusterPathParams {
  user: string;
  product: string;
  version: string;
  id: string;
}

/** The cluster at /clusters/{user}/{product}/{version}/{id}; 404 when it does not exist for the caller. */
export async function loadCluster(db: Db, principal: Principal, p: ClusterPathParams) {
  const number = Number(p.id);
  const row = await visibleClusters(db, principal)
    .selectAll()
    .where('owner_name', '=', p.user)
    .where('product', '=', p.product)
    .where('version', '=', p.version)
    .where('number', '=', number)
    .executeTakeFirst();
  if (!row) throw notFound(`no cluster ${clusterLabel({ owner: p.user, product: p.product, version: p.version, number })}`);
  return row;
}

/** A registered product version; 404 naming it otherwise. */
export async function loadProduct(db: Db, name: string, version: string) {
  const row = await db.selectFrom('cluster_products').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
  if (!row) throw notFound(`no product ${name} with version ${version}`);
  return row;
}
