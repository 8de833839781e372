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
 * The blueprint's InfrastructureManager: a global admin, or a manager (or admin) of the token's
 * project (a project-scoped token's, else the user's default project). Returns the caller with that
 * project: their operations are recorded there. Anyone else may read, and gets 405 on writes.
 */
export async function requireInfrastructureManager(deps: AppDeps, principal: Principal): Promise<Actor> {
  const projectId = principal.tokenProjectId ?? principal.defaultProjectId;
  if (!projectId) throw notAllowed();
  const role = await projectRole(deps.db, principal, projectId);
  if (!role || !atLeast(role, 'manager')) throw notAllowed();
  return { projectId, userId: principal.userId };
}
