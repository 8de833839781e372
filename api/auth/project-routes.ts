import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../deps';
import { listAccessibleProjects, requireProjectAccess } from './access';
import { anyPlatformAuth } from './middleware';
import { addMember, changeMembership, createProject, deleteProject, listMembers, type Member } from './projects';
import { errorResponses, jsonBody, jsonResponse, newIdentityApp, PLATFORM_SECURITY } from './route-helpers';
import {
  AddMemberSchema,
  CreateProjectSchema,
  MemberParam,
  MemberSchema,
  ProjectParam,
  ProjectSchema,
  UpdateMemberSchema,
} from './schemas';

/** /projects and their members. Non-members get 404 for everything under a project. */

const base = { tags: ['projects'], security: PLATFORM_SECURITY };

const createProjectRoute = createRoute({
  ...base,
  method: 'post',
  path: '/projects',
  summary: 'Create a project; you become its admin',
  request: { body: jsonBody(CreateProjectSchema) },
  responses: { 201: jsonResponse(ProjectSchema, 'Created'), ...errorResponses(400, 401, 409) },
});

const listProjectsRoute = createRoute({
  ...base,
  method: 'get',
  path: '/projects',
  summary: 'Projects you can reach (all of them for global admins)',
  responses: { 200: jsonResponse(z.object({ projects: z.array(ProjectSchema) }), 'Projects'), ...errorResponses(401) },
});

const getProjectRoute = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}',
  summary: 'Show a project',
  request: { params: ProjectParam },
  responses: { 200: jsonResponse(ProjectSchema, 'The project'), ...errorResponses(400, 401, 404) },
});

const deleteProjectRoute = createRoute({
  ...base,
  method: 'delete',
  path: '/projects/{id}',
  summary: 'Delete a project (project admins)',
  request: { params: ProjectParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 409) },
});

const listMembersRoute = createRoute({
  ...base,
  method: 'get',
  path: '/projects/{id}/members',
  summary: "A project's members",
  request: { params: ProjectParam },
  responses: { 200: jsonResponse(z.object({ members: z.array(MemberSchema) }), 'Members'), ...errorResponses(400, 401, 404) },
});

const addMemberRoute = createRoute({
  ...base,
  method: 'post',
  path: '/projects/{id}/members',
  summary: 'Add a member (project managers and admins; nobody grants above their own role)',
  request: { params: ProjectParam, body: jsonBody(AddMemberSchema) },
  responses: { 201: jsonResponse(MemberSchema, 'Added'), ...errorResponses(400, 401, 403, 404, 409) },
});

const updateMemberRoute = createRoute({
  ...base,
  method: 'patch',
  path: '/projects/{id}/members/{userId}',
  summary: "Change a member's role (project managers and admins)",
  request: { params: MemberParam, body: jsonBody(UpdateMemberSchema) },
  responses: { 200: jsonResponse(MemberSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
});

const removeMemberRoute = createRoute({
  ...base,
  method: 'delete',
  path: '/projects/{id}/members/{userId}',
  summary: 'Remove a member (project managers and admins)',
  request: { params: MemberParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(400, 401, 403, 404, 409) },
});

const memberView = (m: Member) => ({ ...m, createdAt: m.createdAt.toISOString() });

export function projectRoutes(deps: AppDeps) {
  const { db } = deps;
  const app = newIdentityApp();
  const auth = anyPlatformAuth(deps);
  app.use('/projects/*', auth); // also matches '/projects'

  app.openapi(createProjectRoute, async (c) => {
    const me = c.get('principal');
    const project = await createProject(db, me, c.req.valid('json'));
    deps.logger.info({ projectId: project.id, by: me.userId }, 'project created');
    return c.json({ ...project, createdAt: project.createdAt.toISOString() }, 201);
  });

  app.openapi(listProjectsRoute, async (c) => {
    const projects = await listAccessibleProjects(db, c.get('principal'));
    return c.json({ projects: projects.map((p) => ({ ...p, createdAt: p.createdAt.toISOString() })) }, 200);
  });

  app.openapi(getProjectRoute, async (c) => {
    const { id } = c.req.valid('param');
    const role = await requireProjectAccess(db, c.get('principal'), id, 'guest');
    const project = await db.selectFrom('projects').select(['id', 'name', 'created_at']).where('id', '=', id).executeTakeFirstOrThrow();
    return c.json({ id: project.id, name: project.name, role, createdAt: project.created_at.toISOString() }, 200);
  });

  app.openapi(deleteProjectRoute, async (c) => {
    const { id } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'admin');
    await deleteProject(db, id);
    deps.logger.info({ projectId: id, by: c.get('principal').userId }, 'project deleted');
    return c.body(null, 204);
  });

  app.openapi(listMembersRoute, async (c) => {
    const { id } = c.req.valid('param');
    await requireProjectAccess(db, c.get('principal'), id, 'guest');
    return c.json({ members: (await listMembers(db, id)).map(memberView) }, 200);
  });

  app.openapi(addMemberRoute, async (c) => {
    const { id } = c.req.valid('param');
    const role = await requireProjectAccess(db, c.get('principal'), id, 'manager');
    const member = await addMember(db, role, id, c.req.valid('json'));
    return c.json(memberView(member), 201);
  });

  app.openapi(updateMemberRoute, async (c) => {
    const { id, userId } = c.req.valid('param');
    const role = await requireProjectAccess(db, c.get('principal'), id, 'manager');
    const member = await changeMembership(db, role, id, userId, c.req.valid('json').role);
    return c.json(memberView(member!), 200);
  });

  app.openapi(removeMemberRoute, async (c) => {
    const { id, userId } = c.req.valid('param');
    const role = await requireProjectAccess(db, c.get('principal'), id, 'manager');
    await changeMembership(db, role, id, userId, null);
    return c.body(null, 204);
  });

  return app;
}
