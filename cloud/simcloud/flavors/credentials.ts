import { basicAuth } from 'hono/basic-auth';
import type { Handler } from '../kernel/http';

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Wraps a region service route with HTTP Basic: Hono's basicAuth compares in constant time and
 * answers 401 `{error:{code:'unauthorized'}}` (with WWW-Authenticate) when credentials are
 * missing or wrong.
 */
export function requireCredentials(credentials: Credentials): (handler: Handler) => Handler {
  const check = basicAuth({
    ...credentials,
    realm: 'simcloud region services',
    invalidUserMessage: { error: { code: 'unauthorized', message: 'missing or wrong credentials (HTTP Basic)' } },
  });
  return (handler) => async (c) => {
    let response: Response | undefined;
    await check(c, async () => {
      response = await handler(c);
    });
    return response!;
  };
}
