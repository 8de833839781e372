import type { Stack } from './stack';

import type { TestResponse } from './http';
export type { TestResponse } from './http';

/** A logged-in Kahu client over the real API app (session cookie). */
export async function kahuSession(stack: Stack, username = 'admin', password = 'admin') {
  const res = await stack.app.request('/v0/auth/login', { method: 'POST', body: form({ role: username, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return {
    cookie,
    async request(path: string, init: RequestInit = {}): Promise<TestResponse> {
      const headers = new Headers(init.headers);
      headers.set('cookie', cookie);
      return stack.app.request(path, { ...init, headers });
    },
    post(path: string, fields: Record<string, string | Blob> = {}, headers: Record<string, string> = {}) {
      return this.request(path, { method: 'POST', body: form(fields), headers });
    },
    put(path: string, fields: Record<string, string> = {}) {
      return this.request(path, { method: 'PUT', body: form(fields) });
    },
    get(path: string) {
      return this.request(path);
    },
    delete(path: string) {
      return this.request(path, { method: 'DELETE' });
    },
  };
}

export type KahuSession = Awaited<ReturnType<typeof kahuSession>>;

/** A multipart form, as curl -F sends. */
export function form(fields: Record<string, string | Blob>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** A urlencoded form, as curl -d sends. */
export function urlencoded(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
