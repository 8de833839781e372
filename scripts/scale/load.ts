/**
 * The load generator of the scale test and bench: operation drivers (one per API surface) run
 * resource lifecycles through a pool of API processes. A client here behaves as a careful real
 * one: every POST carries an Idempotency-Key, and when an API dies under a request the same
 * request goes to another API with the same key. When no answer can be had for a key (its first
 * request died holding it), the client looks at the platform before sending anything again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Member } from './cluster';

export interface OperationView {
  id: string;
  status: string;
  type: string;
  resource: { type: string; id: string };
  error: { type: string; message: string } | null;
}

/** What the pool saw; printed by the bench, checked by the test. */
export interface PoolStats {
  requests: number;
  /** Requests re-sent to another API after a connection failure (same Idempotency-Key). */
  failovers: number;
  /** Answers replayed from the idempotency store (`Idempotency-Replayed: true`). */
  replays: number;
  /** Changes whose outcome no API could tell: the client found it from the platform's state. */
  reconciled: number;
  /** Reconciliations that found nothing done, so the request was sent again under a new key. */
  resent: number;
}

/** A change in flight on one API: what the kill schedule looks at. */
export interface Flight {
  api: Member;
  /** `instance/3` for a change to an existing resource; undefined for a create. */
  resource?: string;
  /** The workflow type it starts. */
  type: string;
  since: number;
}

/**
 * Round robin over the API processes. A connection failure sends the request to the next API
 * with the same headers (so the same Idempotency-Key); that retry gets a short time budget, since
 * a key still held by a dead API gets no answer (the caller then reconciles from state).
 */
export class ApiPool {
  readonly stats: PoolStats = { requests: 0, failovers: 0, replays: 0, reconciled: 0, resent: 0 };
  readonly flights = new Set<Flight>();
  private next = 0;
  private readonly downUntil = new Map<Member, number>();

  constructor(
    private readonly apis: Member[],
    private readonly timeoutMs = 90_000,
    private readonly retryTimeoutMs = 3_000,
  ) {}

  /** One HTTP exchange, failing over on connection errors; `undefined` when no API answered in time. */
  async send(path: string, init: RequestInit, flight?: Omit<Flight, 'api' | 'since'>): Promise<Response | undefined> {
    const deadline = Date.now() + 60_000;
    let failedOver = false;
    while (Date.now() < deadline) {
      const api = this.pick();
      const tracked = flight ? { ...flight, api, since: Date.now() } : undefined;
      if (tracked) this.flights.add(tracked);
      this.stats.requests++;
      try {
        const res = await fetch(`${api.url}${path}`, { ...init, signal: AbortSignal.timeout(failedOver ? this.retryTimeoutMs : this.timeoutMs) });
        if (res.headers.get('idempotent-replayed') === 'true') this.stats.replays++;
        // 503: this API is draining (or cannot serve); the request did nothing, another API takes it.
        if (res.status === 503) {
          this.markDown(api);
          await res.body?.cancel();
          continue;
        }
        return res;
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') return undefined;
        this.stats.failovers++;
        failedOver = true;
        this.markDown(api);
        await sleep(50);
      } finally {
        if (tracked) this.flights.delete(tracked);
      }
    }
    return undefined;
  }

  private pick(): Member {
    const now = Date.now();
    for (let i = 0; i < this.apis.length; i++) {
      const api = this.apis[this.next++ % this.apis.length]!;
      if ((this.downUntil.get(api) ?? 0) <= now) return api;
    }
    return this.apis[this.next++ % this.apis.length]!;
  }

  private markDown(api: Member) {
    this.downUntil.set(api, Date.now() + 5_000);
  }
}

export interface Credentials {
  /** Kahu: an API token (Authorization: Bearer). */
  bearer: string;
  /** Runtimes and /v1: HTTP Basic. */
  basic: string;
}

export interface MutateRequest {
  method: 'POST' | 'DELETE' | 'PUT';
  path: string;
  body?: string | URLSearchParams;
  headers?: Record<string, string>;
  /** The workflow type the change starts, and the resource it changes (none for a create). */
  type: string;
  resource?: string;
  /** Wait for the outcome as the seed does (Kahu start/stop/delete answer once done); else `Prefer: respond-async`. */
  sync?: boolean;
  /**
   * Looks at the platform when the outcome of a request is unknown: the id of the operation the
   * request started, `'done'` when its effect is there without one to name, or `undefined` when
   * nothing happened (the request is then sent again under a new key).
   */
  reconcile(): Promise<string | 'done' | undefined>;
}

export interface Mutation {
  /** The answer, when there was one. */
  status?: number;
  body?: any;
  location?: string | null;
  operationId?: string;
}

const operationIdOf = (link: string | null | undefined) => link?.match(/\/v1\/operations\/([^/?]+)/)?.[1];

/** What drivers get: the pool, credentials, and the client protocol for changes and operations. */
export class LoadContext {
  constructor(
    readonly pool: ApiPool,
    readonly credentials: Credentials,
    readonly runId: string,
  ) {}

  async get(path: string, auth: 'bearer' | 'basic' = 'basic'): Promise<{ status: number; body: any }> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const res = await this.pool.send(path, { headers: { authorization: this.authorization(auth) } });
      if (res) return { status: res.status, body: await res.json().catch(() => null) };
    }
    throw new Error(`GET ${path}: no API answered`);
  }

  authorization(auth: 'bearer' | 'basic'): string {
    return auth === 'bearer' ? `Bearer ${this.credentials.bearer}` : `Basic ${this.credentials.basic}`;
  }

  /**
   * A change through the API. POSTs carry an Idempotency-Key, kept when the request moves to
   * another API; `accept` are the answers that mean "started" (or done). When no API can tell the
   * outcome (the key is held by a request that died with its API), or an answer after a failover
   * says the change is already under way or done (409, 404), `reconcile` looks at the platform
   * before anything is sent again.
   */
  async mutate(req: MutateRequest, accept: number[]): Promise<Mutation> {
    for (let round = 0; round < 5; round++) {
      const key = randomUUID();
      const failoversBefore = this.pool.stats.failovers;
      const res = await this.pool.send(
        req.path,
        {
          method: req.method,
          body: req.body,
          headers: { ...req.headers, ...(req.sync ? {} : { prefer: 'respond-async' }), ...(req.method === 'POST' ? { 'idempotency-key': key } : {}) },
        },
        { resource: req.resource, type: req.type },
      );
      const body: any = res ? await res.json().catch(() => null) : undefined;
      if (res && accept.includes(res.status)) {
        return { status: res.status, body, location: res.headers.get('location'), operationId: operationIdOf(res.headers.get('operation-location') ?? body?.operation) };
      }
      const uncertain = !res || ((this.pool.stats.failovers > failoversBefore || round > 0) && [400, 404, 409, 423].includes(res.status));
      if (!uncertain) throw new Error(`${req.method} ${req.path}: unexpected ${res.status} ${JSON.stringify(body)}`);
      const found = await this.settle(req);
      if (found) {
        this.pool.stats.reconciled++;
        return found === 'done' ? {} : { operationId: found };
      }
      this.pool.stats.resent++;
    }
    throw new Error(`${req.method} ${req.path}: no outcome after 5 rounds`);
  }

  /** Reconciliation: a few looks over some seconds, since an operation is recorded just after it starts. */
  private async settle(req: MutateRequest): Promise<string | 'done' | undefined> {
    for (let look = 0; look < 20; look++) {
      const found = await req.reconcile();
      if (found) return found;
      await sleep(250);
    }
    return undefined;
  }

  /** The newest operation of `type` on `resource`, if it started at or after `since`. */
  async findOperation(resource: string, type: string, since: number): Promise<string | undefined> {
    const { status, body } = await this.get(`/v1/operations?resource=${encodeURIComponent(resource)}&limit=20`);
    if (status !== 200) return undefined;
    const op = (body.operations as Array<OperationView & { startedAt: string }>).find(
      (o) => o.type === type && Date.parse(o.startedAt) >= since - 1000,
    );
    return op?.id;
  }

  /** Polls an operation until it ends (any live API answers). */
  async waitForOperation(operationId: string, timeoutMs = 120_000): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.get(`/v1/operations/${operationId}`);
      if (status === 200 && body.status !== 'running' && body.status !== 'unknown') return body as OperationView;
      if (Date.now() > deadline) throw new Error(`operation ${operationId} still ${body?.status ?? status} after ${timeoutMs} ms`);
      await sleep(200);
    }
  }
}

/** One operation a driver performed, as the client saw it. */
export interface PerformedOperation {
  driver: string;
  /** e.g. `instance/3` */
  resource: string;
  /** The workflow type, e.g. `startInstance`. */
  type: string;
  operationId?: string;
  status: string;
  ms: number;
}

/**
 * A surface of the platform under load: runs one resource's lifecycle (each step one operation)
 * and knows how to count, in the cloud backend, what its resources left behind.
 */
export interface OperationDriver {
  name: string;
  /** Operations in one lifecycle (for figures). */
  operationsPerLifecycle: number;
  lifecycle(ctx: LoadContext, index: number): Promise<PerformedOperation[]>;
  /** Cloud objects per resource of this run (by name): exactly one each is expected. */
  cloudObjects(cloud: CloudCounter, runId: string): Promise<Map<string, number>>;
}

export interface CloudCounter {
  /** Every VM the backend ever created (deleted ones too): its name. */
  vmNames(): Promise<string[]>;
}

/** Runs one step: the change, then its operation to the end. */
export async function step(ctx: LoadContext, driver: string, req: MutateRequest, accept: number[]): Promise<PerformedOperation & { mutation: Mutation }> {
  const started = Date.now();
  const mutation = await ctx.mutate(req, accept);
  let status = 'completed';
  if (mutation.operationId) status = (await ctx.waitForOperation(mutation.operationId)).status;
  return { driver, resource: req.resource ?? '?', type: req.type, operationId: mutation.operationId, status, ms: Date.now() - started, mutation };
}

export interface LoadOptions {
  drivers: OperationDriver[];
  /** Lifecycles per driver. */
  lifecycles: number;
  concurrency: number;
  /** Called once, when half of the lifecycles have started (the kill schedule of the test). */
  midway?: () => Promise<void>;
}

export interface LoadResult {
  performed: PerformedOperation[];
  failures: string[];
  seconds: number;
}

/** Interleaves the drivers' lifecycles over `concurrency` clients. */
export async function runLoad(ctx: LoadContext, opts: LoadOptions): Promise<LoadResult> {
  const jobs = Array.from({ length: opts.lifecycles }, (_, i) => opts.drivers.map((d) => ({ driver: d, index: i }))).flat();
  const performed: PerformedOperation[] = [];
  const failures: string[] = [];
  let next = 0;
  let midway: Promise<void> | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        if (opts.midway && !midway && next >= jobs.length / 2) midway = opts.midway();
        try {
          performed.push(...(await job.driver.lifecycle(ctx, job.index)));
        } catch (err) {
          failures.push(`${job.driver.name} #${job.index}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  await midway;
  return { performed, failures, seconds: (performance.now() - started) / 1000 };
}

/** A load client for a cluster's APIs: an API token for Kahu (made through the first API) and Basic for the rest. */
export async function loadContext(apis: Member[], admin: { username: string; password: string }, runId: string): Promise<LoadContext> {
  const basic = Buffer.from(`${admin.username}:${admin.password}`).toString('base64');
  const res = await fetch(`${apis[0]!.url}/v1/auth/tokens`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `load-${runId}`, ttlSeconds: 3600 }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`could not make an API token: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return new LoadContext(new ApiPool(apis), { bearer: token, basic }, runId);
}
