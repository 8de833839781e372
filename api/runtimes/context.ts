import type { Context } from 'hono';
import { requireProjectAccess } from '../auth/access';
import type { AppDeps, AppEnv } from '../deps';
import { describeZodError } from '../validation';
import { runtimeNotFound, srError } from './errors';
import { RuntimeBody, type RuntimeSpecInput } from './schemas';
import { runtimeView } from './views';

/** The project holding the caller's runtimes: their default project, at `minRole` at least. */
export async function projectOf(c: Context<AppEnv>, deps: AppDeps, minRole: 'guest' | 'member'): Promise<string> {
  const principal = c.get('principal');
  if (!principal.defaultProjectId) throw srError(403, 'No project', 'Your user has no default project to hold Serverless Runtimes');
  await requireProjectAccess(deps.db, principal, principal.defaultProjectId, minRole);
  return principal.defaultProjectId;
}

/** A live runtime of the project with its functions (by role, descending: FAAS first); 404 otherwise. */
export async function loadRuntime(deps: AppDeps, projectId: string, idText: string) {
  const id = /^\d{1,9}$/.test(idText) ? Number(idText) : NaN;
  if (!Number.isSafeInteger(id)) throw runtimeNotFound(idText);
  const row = await deps.db
    .selectFrom('runtimes')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw runtimeNotFound(idText);
  const functions = await deps.db.selectFrom('runtime_functions').selectAll().where('runtime_id', '=', id).orderBy('role', 'desc').execute();
  return { row, functions };
}

export type LoadedRuntime = Awaited<ReturnType<typeof loadRuntime>>;

/** The runtime's current view, read again. */
export async function viewOf(deps: AppDeps, projectId: string, id: number) {
  const { row, functions } = await loadRuntime(deps, projectId, String(id));
  return runtimeView(row, functions);
}

/** The request's specification; 400 for bad JSON or a body the schema rejects, in the seed's order. */
export async function readSpec(c: Context): Promise<RuntimeSpecInput> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw srError(400, 'Invalid JSON', (e as Error).message);
  }
  const parsed = RuntimeBody.safeParse(body);
  if (!parsed.success) throw srError(400, 'Invalid Serverless Runtime specification', describeZodError(parsed.error));
  return parsed.data.SERVERLESS_RUNTIME;
}
