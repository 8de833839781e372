import type { MiddlewareHandler } from 'hono';
import { atLeast, projectRole } from '../auth/access';
import { authTokenHeader } from '../auth/middleware';
import type { Principal } from '../auth/principal';
import type { AppDeps, AppEnv } from '../deps';
import { notAllowed, UNAUTHORIZED_TEXT } from './errors';

/** `X-Auth-Token`: a Provisio API (or session) token; missing or invalid → the blueprint's 401 text. */
export const flavorAuth = (deps: AppDeps): MiddlewareHandler<AppEnv> =>
  authTokenHeader(deps, 'x-auth-token', { messages: { missing: UNAUTHORIZED_TEXT, badToken: UNAUTHORIZED_TEXT } });

/** Who acts: an InfrastructureManager, and the project their operations are recorded in. */
export interface Actor {
  projectId: string;
  userId: string;
}

/**
 * The blueprint's InfrastructureManager: a global admin (in the token's project, else their default
 * one), or a manager (or admin) of their default project. Returns the caller with that project:
 * their operations are recorded there. Anyone else may read, and gets 405 on writes.
 *
 * For anyone but a global admin only the default project counts, which only a global admin
 * assigns: anyone may create a project and administer it, so a role there — named by a token
 * scoped to it — must not reach the catalog every project shares. A token scoped elsewhere
 * narrows, never widens.
 */
export async function requireInfrastructureManager(deps: AppDeps, principal: Principal): Promise<Actor> {
  const projectId = principal.tokenProjectId ?? principal.defaultProjectId;
  if (!projectId) throw notAllowed();
  if (!principal.isAdmin && projectId !== principal.defaultProjectId) throw notAllowed();
  const role = await projectRole(deps.db, principal, projectId);
  if (!role || !atLeast(role, 'manager')) throw notAllowed();
  return { projectId, userId: principal.userId };
}
