import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../errors';
import { requireAdmin } from './access';
import { anyPlatformAuth } from './middleware';
import { isForeignKeyViolation } from './pg-errors';
import { errorResponses, jsonBody, jsonResponse, newIdentityApp, PLATFORM_SECURITY } from './route-helpers';
import { CreateUserSchema, IdParam, UpdateUserSchema, UserSchema } from './schemas';
import { revokeUserTokens } from './tokens';
import { createUser, fieldError, setPassword, toUserView, USER_COLUMNS } from './users';

/** /users: user administration, for global admins only. */

const base = { tags: ['users'], security: PLATFORM_SECURITY };

const createUserRoute = createRoute({
  ...base,
  method: 'post',
  path: '/users',
  summary: 'Create a user',
  request: { body: jsonBody(CreateUserSchema) },
  responses: { 201: jsonResponse(UserSchema, 'Created'), ...errorResponses(400, 401, 403, 409) },
});

const listUsersRoute = createRoute({
  ...base,
  method: 'get',
  path: '/users',
  summary: 'List users',
  responses: { 200: jsonResponse(z.object({ users: z.array(UserSchema) }), 'Users'), ...errorResponses(401, 403) },
});

const getUserRoute = createRoute({
  ...base,
  method: 'get',
  path: '/users/{id}',
  summary: 'Show a user',
  request: { params: IdParam },
  responses: { 200: jsonResponse(UserSchema, 'The user'), ...errorResponses(400, 401, 403, 404) },
});

const updateUserRoute = createRoute({
  ...base,
  method: 'patch',
  path: '/users/{id}',
  summary: 'Disable, promote, reset the password of, or set the default project of a user',
  request: { params: IdParam, body: jsonBody(UpdateUserSchema) },
  responses: { 200: jsonResponse(UserSchema, 'The updated user'), ...errorResponses(400, 401, 403, 404) },
});

const deleteUserRoute = createRoute({
  ...base,
  method: 'delete',
  path: '/users/{id}',
  summary: 'Delete a user and their tokens and memberships',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 409) },
});

export function userRoutes(deps: AppDeps) {
  const { db } = deps;
  const app = newIdentityApp();
  const auth = anyPlatformAuth(deps);
  // Authentication first, then admin rights, then input validation: strangers learn nothing about the schema.
  // ('/users/*' also matches '/users'.)
  app.use('/users/*', auth, async (c, next) => {
    requireAdmin(c.get('principal'));
    await next();
  });

  const findUser = async (id: string) => {
    const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('User not found');
    return row;
  };

  app.openapi(createUserRoute, async (c) => {
    const user = await createUser(db, c.req.valid('json'));
    deps.logger.info({ userId: user.id, username: user.username, by: c.get('principal').userId }, 'user created');
    return c.json(user, 201);
  });

  app.openapi(listUsersRoute, async (c) => {
    const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('username').execute();
    return c.json({ users: rows.map(toUserView) }, 200);
  });

  app.openapi(getUserRoute, async (c) => c.json(toUserView(await findUser(c.req.valid('param').id)), 200));

  app.openapi(updateUserRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const me = c.get('principal');
    await findUser(id);
    // Admins cannot lock themselves out; another admin has to do it.
    if (id === me.userId && patch.disabled === true) throw fieldError('disabled', 'you cannot disable yourself');
    if (id === me.userId && patch.isAdmin === false) throw fieldError('isAdmin', 'you cannot remove your own admin rights');
    if (patch.defaultProjectId) {
      const project = await db.selectFrom('projects').select('id').where('id', '=', patch.defaultProjectId).executeTakeFirst();
      if (!project) throw fieldError('defaultProjectId', `project ${patch.defaultProjectId} does not exist`);
    }
    if (patch.password !== undefined) await setPassword(db, id, patch.password, { keepTokenId: id === me.userId ? me.tokenId : null });
    const changes = {
      ...(patch.disabled !== undefined && { disabled: patch.disabled }),
      ...(patch.isAdmin !== undefined && { is_admin: patch.isAdmin }),
      ...(patch.defaultProjectId !== undefined && { default_project_id: patch.defaultProjectId }),
    };
    if (Object.keys(changes).length) {
      try {
        await db.updateTable('users').set({ ...changes, updated_at: new Date() }).where('id', '=', id).execute();
      } catch (err) {
        if (isForeignKeyViolation(err)) throw fieldError('defaultProjectId', `project ${patch.defaultProjectId} does not exist`);
        throw err;
      }
    }
    // Re-enabling a user must not resurrect the tokens they held when disabled.
    if (patch.disabled === true) await revokeUserTokens(db, id);
    deps.logger.info({ userId: id, by: me.userId, fields: Object.keys(patch) }, 'user updated');
    return c.json(toUserView(await findUser(id)), 200);
  });

  app.openapi(deleteUserRoute, async (c) => {
    const { id } = c.req.valid('param');
    const me = c.get('principal');
    if (id === me.userId) throw conflict('You cannot delete yourself');
    const result = await db
      .deleteFrom('users')
      .where('id', '=', id)
      .executeTakeFirst()
      .catch((err) => {
        if (isForeignKeyViolation(err)) throw conflict('The user still owns resources');
        throw err;
      });
    if (!result.numDeletedRows) throw notFound('User not found');
    deps.logger.info({ userId: id, by: me.userId }, 'user deleted');
    return c.body(null, 204);
  });

  return app;
}
