import type { TestResponse } from './http';
import type { Stack } from './stack';

/** Provisio's own /v1 API as a user with HTTP Basic credentials. */
export function platformClient(stack: Stack, username = 'admin', password = 'admin') {
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return {
    async request(path: string, init: RequestInit = {}): Promise<TestResponse> {
      const headers = new Headers(init.headers);
      headers.set('authorization', authorization);
      return stack.app.request(path, { ...init, headers });
    },
    get(path: string) {
      return this.request(path);
    },
    post(path: string, body?: unknown) {
      return this.request(path, {
        method: 'POST',
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    },
  };
}
