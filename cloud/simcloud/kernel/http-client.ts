import { CloudError, type CloudErrorCode } from '../../contract';

const CODES: readonly CloudErrorCode[] = ['capacity', 'not_found', 'invalid', 'conflict', 'exists', 'unauthorized', 'unavailable'];

/** The body's code wins (capacity, exists and conflict share 409); else the status decides. */
function codeFor(status: number, bodyCode: unknown): CloudErrorCode {
  if (typeof bodyCode === 'string' && (CODES as readonly string[]).includes(bodyCode)) return bodyCode as CloudErrorCode;
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status >= 500 || status === 429 || status === 408) return 'unavailable';
  return 'invalid';
}

export interface SimcloudClientOptions {
  /** Per-request timeout (a long-poll adds its wait); a timeout is a retryable 'unavailable'. Default 10 s. */
  timeoutMs?: number;
  /** HTTP Basic credentials (a region's compute service asks for them). */
  credentials?: { username: string; password: string };
}

export interface RequestOptions {
  body?: unknown;
  /** Added to the timeout: the server may hold a long-poll this long. */
  waitMs?: number;
}

/** A query string of the defined, non-empty values ('' when none). */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]): [string, string] => [k, String(v)]);
  return entries.length ? `?${new URLSearchParams(entries)}` : '';
}

/** A path segment. */
export const seg = (id: string) => encodeURIComponent(id);

/** A constructor of SimcloudHttp or a subclass: what the per-resource client mixins extend. */
export type HttpClass<T extends SimcloudHttp = SimcloudHttp> = new (...args: any[]) => T;

/**
 * simcloud over HTTP: every failure is a CloudError. The client methods live beside each
 * resource (cloud/simcloud/<resource>/client.ts) as mixins over this class.
 */
export class SimcloudHttp {
  protected readonly baseUrl: string;
  protected readonly timeoutMs: number;
  private readonly authorization: string | undefined;

  constructor(baseUrl: string, opts: SimcloudClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.authorization = opts.credentials
      ? `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64')}`
      : undefined;
  }

  protected async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const timeoutMs = this.timeoutMs + (opts.waitMs ?? 0);
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const cause = (e.cause as Error | undefined)?.message;
      const why = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `${e.message}${cause ? ` (${cause})` : ''}`;
      throw new CloudError('unavailable', `simcloud ${method} ${path}: ${why}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The connection dropped mid-body: the request may or may not have been applied.
      throw new CloudError('unavailable', `simcloud ${method} ${path}: reply lost (${(err as Error).message})`, res.status);
    }
    let json: any = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        if (res.ok) throw new CloudError('unavailable', `simcloud ${method} ${path}: reply is not JSON`, res.status);
      }
    }
    if (!res.ok) {
      const message = json?.error?.message ?? (text.slice(0, 200) || res.statusText);
      throw new CloudError(codeFor(res.status, json?.error?.code), message, res.status);
    }
    return json as T;
  }
}
