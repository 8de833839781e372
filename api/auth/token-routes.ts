import { createRoute } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { AppDeps } from '../deps';
import { notFound, unauthorized } from '../errors';
import { listAccessibleProjects, requireProjectAccess } from './access';
import { anyPlatformAuth, parseAuthorization } from './middleware';
import type { Principal } from './principal';
import { errorResponses, jsonBody, jsonResponse, newIdentityApp, PLATFORM_SECURITY } from './route-helpers';
import { ChangePasswordSchema, IdParam, IssuedTokenSchema, MeSchema, TokenRequestSchema, TokenSchema } from './schemas';
import { issueToken, revokeToken } from './tokens';
import { authenticatePassword, changePassword } from './users';
import { z } from '@hono/zod-openapi';

/** /auth/tokens (API tokens) and /me (the caller). */

const createTokenRoute = createRoute({
  method: 'post',
  path: '/auth/tokens',
  tags: ['identity'],
  summary: 'Create an API token from a username and password (HTTP Basic or JSON body)',
  security: [{ basicAuth: [] }, {}] as Record<string, string[]>[],
  request: { body: jsonBody(TokenRequestSchema, false) },
  responses: { 201: jsonResponse(IssuedTokenSchema, 'The token; shown only this once'), ...errorResponses(400, 401, 404) },
});

const listTokensRoute = createRoute({
  method: 'get',
  path: '/auth/tokens',
  tags: ['identity'],
  summary: "The caller's live tokens (never their secrets)",
  security: PLATFORM_SECURITY,
  responses: { 200: jsonResponse(z.object({ tokens: z.array(TokenSchema) }), 'Live tokens'), ...errorResponses(401) },
});

const revokeTokenRoute = createRoute({
  method: 'delete',
  path: '/auth/tokens/{id}',
  tags: ['identity'],
  summary: 'Revoke one of your tokens',
  security: PLATFORM_SECURITY,
  request: { params: IdParam },
  responses: { 204: { description: 'Revoked' }, ...errorResponses(400, 401, 404) },
});

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  tags: ['identity'],
  summary: 'The caller and the projects they can reach',
  security: PLATFORM_SECURITY,
  responses: { 200: jsonResponse(MeSchema, 'The caller'), ...errorResponses(401) },
});

const changePasswordRoute = createRoute({
  method: 'post',
  path: '/me/password',
  tags: ['identity'],
  summary: 'Change your password; ends your other sessions',
  security: PLATFORM_SECURITY,
  request: { body: jsonBody(ChangePasswordSchema) },
  responses: { 204: { description: 'Changed' }, ...errorResponses(400, 401) },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function tokenRoutes(deps: AppDeps) {
  const { db } = deps;
  const auth = anyPlatformAuth(deps);
  const app = newIdentityApp();

  /** Password login for token creation: tokens never mint tokens, so a leaked token cannot extend itself. */
  async function passwordCaller(header: string | undefined, body: { username?: string; password?: string }): Promise<Principal> {
    const parsed = parseAuthorization(header);
    let principal: Principal | null;
    if (parsed.scheme === 'basic') principal = await authenticatePassword(db, parsed.username, parsed.password);
    else if (parsed.scheme !== 'none') throw unauthorized('Creating a token needs a username and password (HTTP Basic or JSON body)');
    else if (body.username === undefined || body.password === undefined) throw unauthorized('Authentication required');
    else principal = await authenticatePassword(db, body.username, body.password);
    if (!principal) throw unauthorized('Invalid username or password');
    return principal;
  }

  app.openapi(createTokenRoute, async (c) => {
    const body = c.req.valid('json');
    const principal = await passwordCaller(c.req.header('authorization'), body);
    if (body.projectId) await requireProjectAccess(db, principal, body.projectId, 'guest');
    const issued = await issueToken(db, {
      userId: principal.userId,
      kind: 'api',
      name: body.name,
      projectId: body.projectId,
      ttlSeconds: body.ttlSeconds,
    });
    deps.logger.info({ userId: principal.userId, tokenId: issued.id, projectId: body.projectId }, 'issued API token');
    c.header('Cache-Control', 'no-store');
    return c.json(
      { id: issued.id, token: issued.token, expiresAt: iso(issued.expiresAt), name: body.name ?? null, projectId: body.projectId ?? null },
      201,
    );
  });

  app.openapi({ ...listTokensRoute, middleware: auth }, async (c) => {
    const rows = await db
      .selectFrom('api_tokens')
      .select(['id', 'kind', 'name', 'project_id', 'expires_at', 'last_used_at', 'created_at'])
      .where('user_id', '=', c.get('principal').userId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .orderBy('created_at', 'desc')
      .execute();
    const tokens = rows.map((t) => ({
      id: t.id,
      kind: t.kind,
      name: t.name,
      projectId: t.project_id,
      expiresAt: iso(t.expires_at),
      lastUsedAt: iso(t.last_used_at),
      createdAt: t.created_at.toISOString(),
    }));
    return c.json({ tokens }, 200);
  });

  app.openapi({ ...revokeTokenRoute, middleware: auth }, async (c) => {
    const { id } = c.req.valid('param');
    const principal = c.get('principal');
    const token = await db.selectFrom('api_tokens').select('user_id').where('id', '=', id).executeTakeFirst();
    // Someone else's token looks like no token at all (admins may revoke any).
    if (!token || (token.user_id !== principal.userId && !principal.isAdmin) || !(await revokeToken(db, id))) {
      throw notFound('Token not found');
    }
    return c.body(null, 204);
  });

  app.openapi({ ...meRoute, middleware: auth }, async (c) => {
    const p = c.get('principal');
    const projects = await listAccessibleProjects(db, p);
    return c.json(
      {
        id: p.userId,
        username: p.username,
        isAdmin: p.isAdmin,
        defaultProjectId: p.defaultProjectId,
        tokenId: p.tokenId,
        projects: projects.map(({ id, name, role }) => ({ id, name, role })),
      },
      200,
    );
  });

  app.openapi({ ...changePasswordRoute, middleware: auth }, async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json');
    const p = c.get('principal');
    await changePassword(db, p.userId, currentPassword, newPassword, { keepTokenId: p.tokenId });
    deps.logger.info({ userId: p.userId }, 'password changed');
    return c.body(null, 204);
  });

  return app;
}
