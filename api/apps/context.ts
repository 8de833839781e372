import type { Context, MiddlewareHandler } from 'hono';
import type { Role } from '../../db/identity';
import { listAccessibleProjects, projectRole } from '../auth/access';
import type { AppDeps, AppEnv } from '../deps';
import { appNotFound, paasError } from './errors';
import { appView, type AppRow, type MediaServerRow, type ServiceRow } from './views';

/** The project a request acts in (the `project-id` header), and what the caller may do there. */
export interface PaasScope {
  projectId: string;
  role: Role;
  /**
   * Upstream's "admin project": a global admin acting in project `admin` sees every project's apps.
   * Only a global admin: anyone may create a project, so naming one `admin` grants nothing.
   */
  allProjects: boolean;
}

export type PaasEnv = { Variables: AppEnv['Variables'] & { scope: PaasScope } };
export type PaasContext = Context<PaasEnv>;

export const ADMIN_PROJECT = 'admin';

/**
 * Resolves `project-id` (the caller's default project, else their first, when absent): unknown
 * or not theirs → 404; a guest may only read (403 otherwise).
 */
export function projectScope(deps: AppDeps): MiddlewareHandler<PaasEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    let projectId = c.req.header('project-id')?.trim();
    if (!projectId) projectId = principal.defaultProjectId ?? (await listAccessibleProjects(deps.db, principal))[0]?.id;
    if (!projectId) throw paasError(404, 'Not Found any project you are assigned to. Please ask an admin to assign a project to you.');
    const role = await projectRole(deps.db, principal, projectId);
    if (!role) throw paasError(404, `Project with id ${projectId} was not found`);
    if (role === 'guest' && c.req.method !== 'GET' && c.req.method !== 'HEAD') throw paasError(403, 'Guest is only allowed to execute GET');
    c.set('scope', { projectId, role, allProjects: projectId === ADMIN_PROJECT && principal.isAdmin });
    await next();
  };
}

/** The app with that id in the caller's scope; 404 otherwise (also for another project's app). */
export async function loadApp(c: PaasContext, deps: AppDeps, id: string): Promise<AppRow> {
  const scope = c.get('scope');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw appNotFound(id);
  let query = deps.db.selectFrom('apps').selectAll().where('id', '=', id.toLowerCase());
  if (!scope.allProjects) query = query.where('project_id', '=', scope.projectId);
  const row = await query.executeTakeFirst();
  if (!row) throw appNotFound(id);
  return row;
}

export async function mediaServersOf(deps: AppDeps, appIds: string[]): Promise<MediaServerRow[]> {
  if (!appIds.length) return [];
  return deps.db.selectFrom('app_media_servers').selectAll().where('app_id', 'in', appIds).orderBy('created_at').orderBy('hostname').execute();
}

/** Apps in the seed's shape, with their services and media servers: three queries whatever the count. */
export async function viewsOf(c: PaasContext, deps: AppDeps, apps: AppRow[]) {
  const ids = apps.map((a) => a.id);
  const projectIds = [...new Set(apps.map((a) => a.project_id))];
  const [services, hosts, projects] = await Promise.all([
    ids.length ? deps.db.selectFrom('app_services').selectAll().where('app_id', 'in', ids).orderBy('position').execute() : ([] as ServiceRow[]),
    mediaServersOf(deps, ids),
    projectIds.length ? deps.db.selectFrom('projects').select(['id', 'name']).where('id', 'in', projectIds).execute() : [],
  ]);
  const options = { projectNames: new Map(projects.map((p) => [p.id, p.name])), revealEnv: c.get('scope').role !== 'guest' };
  return apps.map((a) =>
    appView(
      deps.config,
      a,
      services.filter((s) => s.app_id === a.id),
      hosts.filter((h) => h.app_id === a.id),
      options,
    ),
  );
}

export async function viewOf(c: PaasContext, deps: AppDeps, app: AppRow) {
  return (await viewsOf(c, deps, [app]))[0]!;
}
