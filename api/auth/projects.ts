import type { Db } from '../../db/connection';
import type { Role } from '../../db/identity';
import { conflict, forbidden, notFound } from '../errors';
import { atLeast, type AccessibleProject } from './access';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors';
import type { Principal } from './principal';
import { fieldError } from './users';

/** Projects and their memberships. Callers check access first (access.ts); these enforce the role rules. */

export async function createProject(db: Db, creator: Principal, input: { id: string; name?: string }): Promise<AccessibleProject> {
  try {
    return await db.transaction().execute(async (trx) => {
      const project = await trx
        .insertInto('projects')
        .values({ id: input.id, name: input.name ?? input.id })
        .returning(['id', 'name', 'created_at'])
        .executeTakeFirstOrThrow();
      // The creator administers what they create, even if they are a global admin anyway.
      await trx.insertInto('memberships').values({ user_id: creator.userId, project_id: project.id, role: 'admin' }).execute();
      return { id: project.id, name: project.name, role: 'admin' as Role, createdAt: project.created_at };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Project ${input.id} already exists`, [{ field: 'id', problem: 'already exists' }]);
    throw err;
  }
}

export async function deleteProject(db: Db, projectId: string): Promise<void> {
  try {
    await db.deleteFrom('projects').where('id', '=', projectId).execute();
  } catch (err) {
    // Other domains' rows (instances, apps...) reference their project and must go first.
    if (isForeignKeyViolation(err)) throw conflict(`Project ${projectId} still owns resources; delete them first`);
    throw err;
  }
}

export interface Member {
  userId: string;
  username: string;
  role: Role;
  createdAt: Date;
}

export async function listMembers(db: Db, projectId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.username', 'm.role', 'm.created_at'])
    .where('m.project_id', '=', projectId)
    .orderBy('u.username')
    .execute();
  return rows.map((r) => ({ userId: r.id, username: r.username, role: r.role, createdAt: r.created_at }));
}

/** Nobody hands out or touches a role above their own: a manager cannot make admins. */
function checkRoleCeiling(actorRole: Role, ...roles: Role[]): void {
  const above = roles.find((r) => !atLeast(actorRole, r));
  if (above) throw forbidden(`A ${actorRole} cannot grant or change the ${above} role`);
}

export async function addMember(
  db: Db,
  actorRole: Role,
  projectId: string,
  input: { userId?: string; username?: string; role: Role },
): Promise<Member> {
  checkRoleCeiling(actorRole, input.role);
  const field = input.userId ? 'userId' : 'username';
  const user = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where(input.userId ? 'id' : 'username', '=', (input.userId ?? input.username)!)
    .executeTakeFirst();
  if (!user) throw fieldError(field, 'no such user');
  try {
    const row = await db
      .insertInto('memberships')
      .values({ user_id: user.id, project_id: projectId, role: input.role })
      .returning(['role', 'created_at'])
      .executeTakeFirstOrThrow();
    return { userId: user.id, username: user.username, role: row.role, createdAt: row.created_at };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`${user.username} is already a member of ${projectId}`, [{ field, problem: 'already a member' }]);
    throw err;
  }
}

/**
 * Changes a member's role (`role`) or removes them (`null`). The last admin member of a project
 * stays, so a project never ends up with nobody to manage it.
 */
export async function changeMembership(db: Db, actorRole: Role, projectId: string, userId: string, role: Role | null): Promise<Member | null> {
  return db.transaction().execute(async (trx) => {
    // Lock the project's admin rows so two concurrent demotions cannot both pass the last-admin check.
    const admins = await trx
      .selectFrom('memberships')
      .select('user_id')
      .where('project_id', '=', projectId)
      .where('role', '=', 'admin')
      .forUpdate()
      .execute();
    const current = await trx
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.username', 'm.role'])
      .where('m.project_id', '=', projectId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
    if (!current) throw notFound('Member not found');
    checkRoleCeiling(actorRole, current.role, ...(role ? [role] : []));
    if (current.role === 'admin' && role !== 'admin' && admins.length <= 1) {
      throw conflict(`${current.username} is the last admin of ${projectId}; make someone else admin first`);
    }
    if (role === null) {
      await trx.deleteFrom('memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
      return null;
    }
    const row = await trx
      .updateTable('memberships')
      .set({ role })
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .returning(['role', 'created_at'])
      .executeTakeFirstOrThrow();
    return { userId, username: current.username, role: row.role, createdAt: row.created_at };
  });
}
