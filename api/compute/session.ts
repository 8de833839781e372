import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { issueToken, revokeToken } from '../auth/tokens';
import { authenticatePassword, changePassword } from '../auth/users';
import type { AppDeps, AppEnv } from '../deps';
import { unauthorized } from '../errors';
import { kahuAuth, SESSION_COOKIE } from './context';
import { formBody, json, kahuErrors } from './openapi';
import { LoginForm, MessageSchema, PasswordForm } from './schemas';

const routes = {
  login: createRoute({
    method: 'post',
    path: '/auth/login',
    tags: ['compute'],
    summary: 'Log in (role = user name); sets the KAHU_SESSION_TOKEN cookie',
    request: { body: formBody(LoginForm) },
    responses: { 200: json(z.object({ session: z.string(), uri: z.string() }), 'Logged in'), 400: kahuErrors[400], 401: kahuErrors[401] },
  }),
  logout: createRoute({
    method: 'post',
    path: '/auth/logout',
    tags: ['compute'],
    summary: 'Log out; the session cookie stops working',
    responses: { 200: json(MessageSchema, 'Logged out'), 401: kahuErrors[401] },
  }),
  password: createRoute({
    method: 'post',
    path: '/auth/password',
    tags: ['compute'],
    summary: "Change the caller's password (other sessions end)",
    request: { body: formBody(PasswordForm) },
    responses: { 200: json(MessageSchema, 'Changed'), 400: kahuErrors[400], 401: kahuErrors[401] },
  }),
};

export function registerSessionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.use('/auth/logout', kahuAuth(deps));
  app.use('/auth/password', kahuAuth(deps));

  app.openapi(routes.login, async (c) => {
    const { role, password } = c.req.valid('form');
    const principal = await authenticatePassword(deps.db, role, password);
    if (!principal) throw unauthorized('Invalid role or password');
    const ttl = deps.config.SESSION_TTL_SECONDS;
    const session = await issueToken(deps.db, { userId: principal.userId, kind: 'session', name: 'kahu login', ttlSeconds: ttl });
    setCookie(c, SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: ttl, secure: deps.config.PROVISIO_ENV === 'production' });
    const tenant = principal.defaultProjectId;
    return c.json({ session: session.token, uri: tenant ? `/v0/tenant/${tenant}/` : '/v0/' }, 200);
  });

  app.openapi(routes.logout, async (c) => {
    const tokenId = c.get('principal').tokenId;
    if (tokenId && getCookie(c, SESSION_COOKIE)) await revokeToken(deps.db, tokenId);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ message: 'logged out' }, 200);
  });

  app.openapi(routes.password, async (c) => {
    const form = c.req.valid('form');
    const principal = c.get('principal');
    await changePassword(deps.db, principal.userId, form['current-password'], form.password, { keepTokenId: principal.tokenId });
    return c.json({ message: 'password changed' }, 200);
  });
}
