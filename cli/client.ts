import { CliError, EXIT, exitCodeOf } from './errors';
import { ask } from './prompt';

/** How a surface authenticates: Provisio API tokens everywhere, except HTTP Basic on runtimes. */
export type AuthStyle = 'bearer' | 'basic' | 'x-auth-token' | 'none';

export interface Credentials {
  token?: string;
  username?: string;
  password?: string;
}

export interface RequestOptions {
  auth?: AuthStyle;
  json?: unknown;
  form?: Record<string, string | Blob>;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** The human part of any surface's error body: {error:{message}}, {error,message}, {message}, or text. */
export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, any>;
    const nested = b.error && typeof b.error === 'object' ? b.error.message : undefined;
    const flat = typeof b.message === 'string' && b.message ? b.message : undefined;
    const code = typeof b.error === 'string' ? b.error : undefined;
    const text = nested ?? (code && flat ? `${code}: ${flat}` : (flat ?? code));
    if (text) return String(text);
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

/** The operation a mutating answer links to: Operation-Location, or `operation` in the body. */
export function operationIdOf(res: ApiResponse): string | undefined {
  const link = res.headers.get('operation-location') ?? (typeof res.body?.operation === 'string' ? res.body.operation : undefined) ?? res.body?.details?.operation;
  return typeof link === 'string' ? link.split('/').pop() : undefined;
}

/** Talks to one Provisio API with the caller's credentials; every failure becomes a CliError with its exit code. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {}

  private async authHeaders(style: AuthStyle): Promise<Record<string, string>> {
    if (style === 'none') return {};
    if (style === 'basic') {
      const username = this.credentials.username;
      const password = this.credentials.password ?? (process.stdin.isTTY && username ? await ask(`Password for ${username}: `, { hidden: true, flag: 'PROVISIO_PASSWORD' }) : undefined);
      if (!username || !password) {
        throw new CliError('The serverless runtimes API takes HTTP Basic: set PROVISIO_USERNAME and PROVISIO_PASSWORD (or run in a terminal)', EXIT.auth);
      }
      this.credentials.password = password;
      return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    }
    if (!this.credentials.token) throw new CliError('Not logged in: run `provisio login` (or set PROVISIO_TOKEN)', EXIT.auth);
    return style === 'bearer' ? { authorization: `Bearer ${this.credentials.token}` } : { 'x-auth-token': this.credentials.token };
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Sends a request and returns the raw response (for streams); HTTP errors are not thrown here. */
  async fetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers = new Headers({ accept: 'application/json', ...(await this.authHeaders(options.auth ?? 'bearer')), ...options.headers });
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(options.json);
    } else if (options.form) {
      const form = new FormData();
      for (const [k, v] of Object.entries(options.form)) form.append(k, v);
      body = form;
    }
    try {
      return await fetch(this.url(path, options.query), { method, headers, body, redirect: 'manual' });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new CliError(`Cannot reach the Provisio API at ${this.baseUrl}: ${cause}`, EXIT.server);
    }
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const res = await this.fetch(method, path, options);
    const text = await res.text();
    let body: any = text;
    if (text && /json/.test(res.headers.get('content-type') ?? '')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (res.status >= 400) throw new CliError(`${errorMessage(body, res.status)} (HTTP ${res.status})`, exitCodeOf(res.status), body);
    return { status: res.status, headers: res.headers, body: body === '' ? (null as T) : (body as T) };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
}
