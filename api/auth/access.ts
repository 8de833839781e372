import type { Db } from '../../db/connection';
import type { Role } from '../../db/identity';
import { forbidden, notFound } from '../errors';
import { noteRequestProject } from '../request-context';
import { ROLE_RANK, type Principal } from './principal';

export const ROLES = ['admin', 'manager', 'member', 'guest'] as const satisfies readonly Role[];

export const PROJECT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const atLeast = (role: Role, minRole: Role) => ROLE_RANK[role] >= ROLE_RANK[minRole];

/** A token scoped to one project reaches nothing else, whoever its owner is. */
const outsideTokenScope = (principal: Principal, projectId: string) =>
  !!principal.tokenProjectId && principal.tokenProjectId !== projectId;

/**
 * The caller's role in a project, or null when the project does not exist for them. Global admins
 * are admin everywhere. The project checked is noted in the request scope: it is the project the
 * audit trail records for the request, whichever surface and auth style made the check.
 */
export async function projectRole(db: Db, principal: Principal, projectId: string): Promise<Role | null> {
  noteRequestProject(projectId);
  if (outsideTokenScope(principal, projectId)) return null;
  if (principal.isAdmin) {
    const project = await db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
    return project ? 'admin' : null;
  }
  const membership = await db
    .selectFrom('memberships')
    .select('role')
    .where('user_id', '=', principal.userId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return membership?.role ?? null;
}

/**
 * Ensures the caller holds at least `minRole` in the project and returns their role.
 * Non-members get 404, exactly as if the project did not exist; members below `minRole` get 403.
 */
export async function requireProjectAccess(db: Db, principal: Principal, projectId: string, minRole: Role): Promise<Role> {
  const role = await projectRole(db, principal, projectId);
  if (!role) throw notFound('Project not found');
  if (!atLeast(role, minRole)) throw forbidden(`This needs the ${minRole} role in project ${projectId}; you are ${role}`);
  return role;
}

/** Platform-wide administration (users): global admins only. */
export function requireAdmin(principal: Principal): void {
  if (!principal.isAdmin) throw forbidden('Administrator rights required');
}

export interface AccessibleProject {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
}

/** Every project the caller can see, with their role in it; global admins see all. */
export async function listAccessibleProjects(db: Db, principal: Principal): Promise<AccessibleProject[]> {
  let rows: AccessibleProject[];
  if (principal.isAdmin) {
    const projects = await db.selectFrom('projects').select(['id', 'name', 'created_at']).orderBy('id').execute();
    rows = projects.map((p) => ({ id: p.id, name: p.name, role: 'admin' as Role, createdAt: p.created_at }));
  } else {
    const projects = await db
      .selectFrom('memberships as m')
      .innerJoin('projects as p', 'p.id', 'm.project_id')
      .select(['p.id', 'p.name', 'p.created_at', 'm.role'])
      .where('m.user_id', '=', principal.userId)
      .orderBy('p.id')
      .execute();
    rows = projects.map((p) => ({ id: p.id, name: p.name, role: p.role, createdAt: p.created_at }));
  }
  return principal.tokenProjectId ? rows.filter((p) => p.id === principal.tokenProjectId) : rows;
}
