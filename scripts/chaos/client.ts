/**
 * A careful client under chaos, as the drivers use it. Every POST carries an Idempotency-Key and
 * keeps it through retries: a 5xx (Temporal away, say) or no answer sends the same request again
 * until the request bound. A PUT or DELETE retried after its first answer was lost may meet its
 * own operation running (409/423): the client then finds that operation in the platform instead
 * of counting a refusal. Some POSTs are sent a second time on purpose with the same key, as a
 * client does after a timeout: the answer must be the first one, replayed.
 *
 * Operations are followed through `GET /v1/operations/{id}`, like any client would.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/connection';
import type { ApiPool } from '../scale/load';
import type { Ledger } from './ledger';
import type { Surface } from './options';

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
  /** How many times the request was sent before this answer. */
  attempts: number;
}

export interface Credentials {
  /** admin:password, base64 (runtimes, /v1). */
  basic: string;
  /** A Provisio API token: Kahu (Bearer), flavors and clusters (X-Auth-Token), apps (Bearer + project-id). */
  token: string;
  project: string;
}

export interface StepRequest {
  /** The workflow type the change starts (for finding it again, and for the figures). */
  type: string;
  /** `instance/3`; unknown for a create until the answer names it. */
  resource?: string;
  method: 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Answers meaning the change was taken (an operation started, or it was done at once). */
  accept: number[];
  /** Answers to POSTs and PUTs default to `Prefer: respond-async`; `sync` waits as the seed does. */
  sync?: boolean;
  /** The client may change its mind and cancel the operation soon after it started (at the cancel rate). */
  cancellable?: boolean;
}

export type StepOutcome = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'running' | 'done' | 'refused' | 'unanswered';

export interface StepResult {
  answer?: Answer;
  operationId?: string;
  /** What became of the change: the operation's end, `done` (accepted without an operation), `refused` (an answer not in `accept`), `unanswered`, or `running` (followed past the bound). */
  outcome: StepOutcome;
  /** The operation's error, or the refusal's message. */
  reason?: string;
}

export interface ClientOptions {
  requestTimeoutMs: number;
  operationTimeoutMs: number;
  replayRate: number;
  /** Share of cancellable operations the client cancels (POST /v1/operations/{id}/cancel) soon after they start. */
  cancelRate: number;
  /** Random draws (replays, cancels); seeded by the run. */
  random: () => number;
  /** Set once the load is over: clients stop following operations at once. */
  stopping?: () => boolean;
}

const RETRYABLE = new Set([500, 503, 504]);
const operationIdOf = (link: string | null | undefined) => link?.match(/\/v1\/operations\/([0-9a-f-]{36})/)?.[1];

export class ChaosClient {
  constructor(
    private readonly pool: ApiPool,
    private readonly db: Db,
    readonly credentials: Credentials,
    private readonly ledger: Ledger,
    private readonly opts: ClientOptions,
  ) {}

  /**
   * One request, retried through 5xx answers, silences and the idempotency middleware's "still in
   * progress" until the request bound (POSTs keep their Idempotency-Key). Undefined when no
   * answer came.
   */
  async send(surface: Surface, method: string, path: string, init: { body?: string; headers?: Record<string, string>; key?: string } = {}): Promise<Answer | undefined> {
    const l = this.ledger.of(surface);
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    const headers: Record<string, string> = { ...init.headers };
    if (method === 'POST' && init.key) headers['idempotency-key'] = init.key;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) l.retries++;
      l.requests++;
      const res = await this.pool.send(path, { method, body: init.body, headers });
      if (res) {
        const text = await res.text().catch(() => '');
        const answer: Answer = { status: res.status, text, body: parse(text), headers: res.headers, attempts: attempt + 1 };
        const inProgress = res.status === 409 && /Idempotency-Key/.test(text);
        if (!RETRYABLE.has(res.status) && !inProgress) return answer;
        if (!inProgress) this.ledger.serverError(surface, res.status, text);
      }
      if (Date.now() > deadline) return undefined;
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)) * (0.5 + this.opts.random()));
    }
  }

  /** A GET with the surface's credentials, retried like any request. */
  async get(surface: Surface, path: string, headers: Record<string, string>): Promise<Answer | undefined> {
    return this.send(surface, 'GET', path, { headers });
  }

  /**
   * One change and its operation, followed to its end: the outcome, never an exception (under
   * chaos a change may be refused or fail; the driver decides what comes next).
   */
  async step(surface: Surface, req: StepRequest): Promise<StepResult> {
    const l = this.ledger.of(surface);
    const since = new Date(Date.now() - 1_000);
    const key = req.method === 'POST' ? randomUUID() : undefined;
    const headers = { ...req.headers, ...(req.sync ? {} : { prefer: 'respond-async' }) };
    const answer = await this.send(surface, req.method, req.path, { body: req.body, headers, key });
    let reconciled: string | undefined;
    if (answer && req.resource && (answer.status === 409 || answer.status === 423) && answer.attempts > 1) {
      // Possibly our own earlier attempt, whose answer was lost: its operation is running.
      reconciled = await this.findOperation(req.resource, req.type, since);
      if (reconciled) l.reconciled++;
    }
    if (!answer && req.resource) {
      reconciled = await this.findOperation(req.resource, req.type, since);
      if (reconciled) l.reconciled++;
    }
    if (!answer && !reconciled) {
      l.unanswered.push(`${req.method} ${req.path}: no answer within ${this.opts.requestTimeoutMs / 1000} s`);
      return { outcome: 'unanswered' };
    }
    if (answer && key && this.opts.random() < this.opts.replayRate) await this.replay(surface, req, headers, key, answer);

    const operationId = reconciled ?? (answer ? operationIdOf(answer.headers.get('operation-location')) ?? operationIdOf(findLink(answer.body)) : undefined);
    if (answer && !reconciled && !req.accept.includes(answer.status)) {
      const reason = `${answer.status} ${messageOf(answer)}`;
      l.refused++;
      if (l.refusals.length < 200) l.refusals.push(`${req.type} ${req.resource ?? req.path}: ${reason}`);
      // A refusal that names a failed operation (flavors answer 502 so): follow it, so it is counted.
      if (operationId) {
        const op = await this.follow(surface, operationId, req.type, req.resource ?? '?');
        return { answer, operationId, outcome: op.status as StepOutcome, reason: op.error ?? reason };
      }
      return { answer, outcome: 'refused', reason };
    }
    if (!operationId) return { answer, outcome: 'done' };
    if (req.cancellable && this.opts.random() < this.opts.cancelRate) await this.cancel(surface, operationId, this.opts.random() ** 2 * 3_000);
    const op = await this.follow(surface, operationId, req.type, req.resource ?? '?');
    return { answer, operationId, outcome: op.status as StepOutcome, reason: op.error ?? undefined };
  }

  /** Sends a POST again with the same key: the first answer must come back, replayed. */
  private async replay(surface: Surface, req: StepRequest, headers: Record<string, string>, key: string, first: Answer): Promise<void> {
    const l = this.ledger.of(surface);
    l.replays++;
    const again = await this.send(surface, req.method, req.path, { body: req.body, headers, key });
    if (!again) return;
    const same = again.status === first.status && again.text === first.text && again.headers.get('idempotent-replayed') === 'true';
    if (!same) {
      l.replayMismatches.push(
        `${req.type} ${req.path}: first ${first.status} ${first.text.slice(0, 120)}; replay ${again.status} ${again.text.slice(0, 120)} (replayed: ${again.headers.get('idempotent-replayed')})`,
      );
    }
  }

  /** Cancels an operation after `afterMs` (a 409 means it had ended already: fine). */
  async cancel(surface: Surface, operationId: string, afterMs: number): Promise<void> {
    await sleep(afterMs);
    const l = this.ledger.of(surface);
    const answer = await this.send(surface, 'POST', `/v1/operations/${operationId}/cancel`, {
      headers: { authorization: `Basic ${this.credentials.basic}` },
      key: randomUUID(),
    });
    if (answer?.status === 202) l.cancels++;
    else if (answer?.status !== 409 && l.refusals.length < 200) l.refusals.push(`cancel ${operationId}: ${answer ? `${answer.status} ${messageOf(answer)}` : 'no answer'}`);
  }

  /** Polls an operation until it ends, the bound passes, or the run stops following. */
  async follow(surface: Surface, operationId: string, type: string, resource: string): Promise<{ status: string; error: string | null }> {
    const deadline = Date.now() + this.opts.operationTimeoutMs;
    let status = 'running';
    let error: string | null = null;
    for (let i = 0; ; i++) {
      const answer = await this.get(surface, `/v1/operations/${operationId}`, { authorization: `Basic ${this.credentials.basic}` });
      if (answer?.status === 200 && answer.body) {
        status = answer.body.status;
        error = answer.body.error ? `${answer.body.error.type}: ${answer.body.error.message}` : null;
        if (status !== 'running' && status !== 'unknown') break;
      }
      if (Date.now() > deadline || this.opts.stopping?.()) break;
      await sleep(Math.min(1_500, 300 + i * 100));
    }
    this.ledger.of(surface).followed.push({ surface, type, resource, operationId, status, error });
    return { status, error };
  }

  /** The operation of `type` on `resource` started since `since`, from the platform's own record. */
  async findOperation(resource: string, type: string, since: Date): Promise<string | undefined> {
    for (let look = 0; look < 10; look++) {
      const row = await this.db
        .selectFrom('operations')
        .select('id')
        .where('resource_id', '=', resource)
        .where('workflow_type', '=', type)
        .where('created_at', '>=', since)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      if (row) return row.id;
      await sleep(300);
    }
    return undefined;
  }
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** An operation link in a body, wherever the surface puts it. */
function findLink(body: any): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  for (const v of [body.operation, body.error?.details?.operation, body.details?.operation, body.error?.operation]) if (typeof v === 'string') return v;
  return undefined;
}

/** The human part of an error answer, whichever surface's shape it has. */
export function messageOf(answer: Answer): string {
  const b = answer.body;
  const m = b?.error?.message ?? b?.message ?? (typeof b?.error === 'string' ? b.error : undefined);
  return (typeof m === 'string' ? m : answer.text).replace(/\s+/g, ' ').slice(0, 200);
}
