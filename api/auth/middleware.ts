import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { TokenKind } from '../../db/identity';
import type { AppDeps, AppEnv } from '../deps';
import { HttpError } from '../errors';
import type { Principal } from './principal';
import { verifyToken } from './tokens';
import { authenticatePassword } from './users';

/**
 * Hono middleware for each auth style a surface may use. Each one resolves the caller against
 * the identity store, sets `principal`, or throws a 401 HttpError the surface renders in its own shape.
 */

export type AuthorizationHeader =
  | { scheme: 'none' }
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'malformed'; reason: string }
  | { scheme: 'other'; name: string };

/** Splits an Authorization header into its scheme and credentials (RFC 7617 / 6750). */
export function parseAuthorization(value: string | undefined | null): AuthorizationHeader {
  const trimmed = value?.trim();
  if (!trimmed) return { scheme: 'none' };
  const space = trimmed.indexOf(' ');
  const name = space < 0 ? trimmed : trimmed.slice(0, space);
  const credentials = space < 0 ? '' : trimmed.slice(space + 1).trim();
  switch (name.toLowerCase()) {
    case 'basic':
      return parseBasicCredentials(credentials);
    case 'bearer':
      return credentials ? { scheme: 'bearer', token: credentials } : { scheme: 'malformed', reason: 'Bearer token missing' };
    default:
      return { scheme: 'other', name };
  }
}

/** Decodes `base64(username:password)`; the password may itself contain colons. */
export function parseBasicCredentials(encoded: string): AuthorizationHeader {
  if (!encoded || !/^[A-Za-z0-9+/]+=*$/.test(encoded)) return { scheme: 'malformed', reason: 'Malformed Basic credentials' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { scheme: 'malformed', reason: 'Malformed Basic credentials' };
  return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface AuthMessages {
  /** No credentials at all. */
  missing: string;
  /** Credentials in a scheme this surface does not accept. */
  unsupported: string;
  /** Wrong username/password. */
  badPassword: string;
  /** Unknown, expired or revoked token. */
  badToken: string;
}

export const DEFAULT_AUTH_MESSAGES: AuthMessages = {
  missing: 'Authentication required',
  unsupported: 'Unsupported authentication scheme',
  badPassword: 'Invalid username or password',
  badToken: 'Invalid or expired token',
};

export interface AuthOptions {
  messages?: Partial<AuthMessages>;
  /** Token kinds accepted (token-based styles only). */
  kinds?: readonly TokenKind[];
  /** Realm announced in WWW-Authenticate. */
  realm?: string;
}

function unauthorizedWith(message: string, challenge?: string): HttpError {
  return new HttpError(401, 'unauthorized', message, undefined, challenge ? { 'WWW-Authenticate': challenge } : undefined);
}

type Resolver = (c: Context<AppEnv>) => Promise<Principal>;

function middlewareFrom(resolve: Resolver): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', await resolve(c));
    await next();
  };
}

/**
 * Resolves an Authorization header accepting the given schemes; the building block of
 * basicAuth, bearerAuth and anyPlatformAuth.
 */
function authorizationResolver(deps: AppDeps, accept: { basic: boolean; bearer: boolean }, options: AuthOptions): Resolver {
  const messages = { ...DEFAULT_AUTH_MESSAGES, ...options.messages };
  const kinds = options.kinds ?? ['api', 'oauth_access'];
  const realm = options.realm ?? 'provisio';
  const challenge = [accept.bearer && `Bearer realm="${realm}"`, accept.basic && `Basic realm="${realm}", charset="UTF-8"`]
    .filter(Boolean)
    .join(', ');
  return async (c) => {
    const header = parseAuthorization(c.req.header('authorization'));
    if (header.scheme === 'none') throw unauthorizedWith(messages.missing, challenge);
    if (header.scheme === 'malformed') throw unauthorizedWith(header.reason, challenge);
    if (header.scheme === 'basic' && accept.basic) {
      const principal = await authenticatePassword(deps.db, header.username, header.password);
      if (!principal) throw unauthorizedWith(messages.badPassword, challenge);
      return principal;
    }
    if (header.scheme === 'bearer' && accept.bearer) {
      const principal = await verifyToken(deps.db, header.token, kinds);
      if (!principal) throw unauthorizedWith(messages.badToken, challenge);
      return principal;
    }
    throw unauthorizedWith(messages.unsupported, challenge);
  };
}

/** HTTP Basic username:password. */
export function basicAuth(deps: AppDeps, options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return middlewareFrom(authorizationResolver(deps, { basic: true, bearer: false }, options));
}

/** `Authorization: Bearer <token>`; API and OAuth access tokens by default. */
export function bearerAuth(deps: AppDeps, options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return middlewareFrom(authorizationResolver(deps, { basic: false, bearer: true }, options));
}

/** Provisio's own /v1 API: a Bearer token or HTTP Basic. */
export function anyPlatformAuth(deps: AppDeps, options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return middlewareFrom(authorizationResolver(deps, { basic: true, bearer: true }, options));
}

/** Resolves a raw token with the given kinds, or throws 401 with the surface's messages. */
async function principalFromToken(deps: AppDeps, token: string | undefined, kinds: readonly TokenKind[], messages: AuthMessages) {
  if (!token) throw unauthorizedWith(messages.missing);
  const principal = await verifyToken(deps.db, token, kinds);
  if (!principal) throw unauthorizedWith(messages.badToken);
  return principal;
}

/** A token in its own header (`X-Auth-Token` style); API and session tokens by default. */
export function authTokenHeader(deps: AppDeps, headerName = 'x-auth-token', options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  const messages = { ...DEFAULT_AUTH_MESSAGES, ...options.messages };
  const kinds = options.kinds ?? ['api', 'session'];
  return middlewareFrom((c) => principalFromToken(deps, c.req.header(headerName)?.trim(), kinds, messages));
}

/** A session token in a cookie (browser-style login). */
export function sessionCookie(deps: AppDeps, cookieName: string, options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  const messages = { ...DEFAULT_AUTH_MESSAGES, ...options.messages };
  const kinds = options.kinds ?? ['session'];
  return middlewareFrom((c) => principalFromToken(deps, getCookie(c, cookieName), kinds, messages));
}
