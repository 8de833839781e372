import { timingSafeEqual } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseAuthorization } from '../auth/middleware';
import type { Principal } from '../auth/principal';
import { issueToken, revokeToken, verifyToken } from '../auth/tokens';
import { authenticatePassword } from '../auth/users';
import type { AppDeps, AppEnv } from '../deps';
import { seedDate } from './views';

/**
 * The seed's OAuth2 token endpoint (Spring's `/oauth/token`): HTTP Basic for the client
 * (`openbatonOSClient:secret` by default), then a password grant against Provisio's users or a
 * refresh-token grant. Tokens are Provisio tokens of kinds oauth_access / oauth_refresh.
 */

export const OAUTH_PATHS = ['/oauth/token', '/api/v1/nubomedia/paas/oauth/token', '/api/v2/nubomedia/paas/oauth/token'];

const SCOPE = ['read', 'write'];

const formSchema = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', enum: ['password', 'refresh_token'] },
    username: { type: 'string' },
    password: { type: 'string' },
    refresh_token: { type: 'string' },
  },
};

const tokenExample = {
  additionalInformation: {},
  expiration: 'Sep 28, 2016 6:49:35 AM',
  refreshToken: { expiration: 'Oct 27, 2016 6:49:35 PM', value: 'pvo_…' },
  scope: SCOPE,
  tokenType: 'bearer',
  value: 'pvo_…',
};

/** RFC 6749 §5.2 error body. */
function oauthError(c: Context, status: 400 | 401, error: string, description: string) {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="oauth2/client"';
  return c.json({ error, error_description: description }, status, headers);
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function registerOAuthRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db, config } = deps;

  async function tokenAnswer(c: Context, principal: Principal) {
    const access = await issueToken(db, { userId: principal.userId, kind: 'oauth_access', name: 'nubomedia-paas' });
    const refresh = await issueToken(db, { userId: principal.userId, kind: 'oauth_refresh', name: 'nubomedia-paas' });
    deps.logger.info({ userId: principal.userId, tokenId: access.id }, 'issued OAuth tokens');
    return c.json(
      {
        additionalInformation: {},
        expiration: seedDate(access.expiresAt!),
        refreshToken: { expiration: seedDate(refresh.expiresAt!), value: refresh.token },
        scope: SCOPE,
        tokenType: 'bearer',
        value: access.token,
      },
      200,
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    );
  }

  for (const path of OAUTH_PATHS) {
    const route = createRoute({
      method: 'post',
      path,
      tags: ['nubomedia paas'],
      summary: 'OAuth2 token: password or refresh_token grant, client by HTTP Basic',
      security: [{ basic: [] }],
      request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: formSchema as any } } } },
      responses: {
        200: { description: 'Access and refresh tokens', content: { 'application/json': { schema: { type: 'object', example: tokenExample } as any } } },
        400: { description: 'Missing or unsupported grant' },
        401: { description: 'Wrong client credentials, password or refresh token' },
      },
      hide: path !== '/oauth/token',
    });

    app.openapi(route, async (c) => {
      const form = { ...c.req.query(), ...((await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>) };
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);

      const client = parseAuthorization(c.req.header('authorization'));
      const clientId = client.scheme === 'basic' ? client.username : field('client_id');
      const clientSecret = client.scheme === 'basic' ? client.password : field('client_secret');
      if (clientId !== config.APPS_OAUTH_CLIENT_ID || !sameSecret(clientSecret ?? '', config.APPS_OAUTH_CLIENT_SECRET)) {
        return oauthError(c, 401, 'invalid_client', 'Bad client credentials');
      }

      switch (field('grant_type')) {
        case 'password': {
          const username = field('username');
          const password = field('password');
          if (!username || password === undefined) return oauthError(c, 400, 'invalid_request', 'username and password are required');
          const principal = await authenticatePassword(db, username, password);
          if (!principal) return oauthError(c, 401, 'invalid_grant', 'Bad credentials');
          return tokenAnswer(c, principal);
        }
        case 'refresh_token': {
          const refreshToken = field('refresh_token');
          if (!refreshToken) return oauthError(c, 400, 'invalid_request', 'refresh_token is required');
          const principal = await verifyToken(db, refreshToken, ['oauth_refresh']);
          if (!principal) return oauthError(c, 401, 'invalid_grant', 'Invalid refresh token');
          // Rotation: a refresh token works once, so a stolen one is noticed when either party uses it.
          if (!(await revokeToken(db, principal.tokenId!))) return oauthError(c, 401, 'invalid_grant', 'Invalid refresh token');
          return tokenAnswer(c, principal);
        }
        case undefined:
          return oauthError(c, 400, 'invalid_request', 'grant_type is required');
        default:
          return oauthError(c, 400, 'unsupported_grant_type', `Unsupported grant type: ${field('grant_type')}`);
      }
    });
  }
}
