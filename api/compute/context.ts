import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Role } from '../../db/identity';
import { requireProjectAccess } from '../auth/access';
import { parseAuthorization } from '../auth/middleware';
import { verifyToken } from '../auth/tokens';
import type { AppDeps, AppEnv } from '../deps';
import { notFound, unauthorized } from '../errors';

export const SESSION_COOKIE = 'KAHU_SESSION_TOKEN';

/** Kahu auth: the session cookie from /v0/auth/login, or an API token for automation. */
export function kahuAuth(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const header = parseAuthorization(c.req.header('authorization'));
    let principal = null;
    if (cookie) principal = await verifyToken(deps.db, cookie, ['session']);
    else if (header.scheme === 'bearer') principal = await verifyToken(deps.db, header.token, ['api', 'session']);
    else throw unauthorized('Log in with POST /v0/auth/login (session cookie) or send an API token');
    if (!principal) throw unauthorized('Session expired or invalid; log in again');
    c.set('principal', principal);
    await next();
  };
}

/** The tenant (project) of a request: the path's tenant, else the caller's default project. */
export async function tenantOf(c: Context<AppEnv>, deps: AppDeps, minRole: Role): Promise<{ projectId: string; base: string }> {
  const tenant = c.req.param('tenant');
  const principal = c.get('principal');
  const projectId = tenant ?? principal.defaultProjectId;
  if (!projectId) throw notFound('No default tenant; use /v0/tenant/{tenant}/compute/...');
  await requireProjectAccess(deps.db, principal, projectId, minRole);
  return { projectId, base: tenant ? `/v0/tenant/${tenant}/compute` : '/v0/compute' };
}

export async function findInstance(deps: AppDeps, projectId: string, n: number) {
  const row = await deps.db
    .selectFrom('instances')
    .selectAll()
    .where('id', '=', n)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound(`instance ${n} not found`);
  return row;
}

export type InstanceRow = Awaited<ReturnType<typeof findInstance>>;
