/**
 * What the clients of a chaos run saw, per surface: lifecycles, requests and their retries,
 * idempotent replays, the operations they followed, and answers they did not expect. The
 * authoritative operation counts come from the platform itself (audit.ts); this is the clients'
 * side, printed beside it.
 */
import type { Surface } from './options';

export interface FollowedOperation {
  surface: Surface;
  type: string;
  resource: string;
  operationId: string;
  /** The last status the client read (`running` when it gave up following). */
  status: string;
  error: string | null;
}

export interface SurfaceLedger {
  lifecyclesStarted: number;
  lifecyclesFinished: number;
  requests: number;
  /** Requests sent again (same Idempotency-Key for POSTs) after a 5xx or no answer. */
  retries: number;
  /** 5xx answers seen (each retried). */
  serverErrors: number;
  /** POSTs sent a second time with the same key on purpose; and those whose answer differed. */
  replays: number;
  replayMismatches: string[];
  /** Operations the clients cancelled while they ran (accepted cancellations). */
  cancels: number;
  /** Changes whose answer was lost (or refused as already running) and whose operation the client found in the platform. */
  reconciled: number;
  /** Answers the client did not expect (a refusal is fine under chaos): how many, and the first ones with their reason. */
  refused: number;
  refusals: string[];
  /** Requests that got no usable answer within the request bound. */
  unanswered: string[];
  /** 5xx answers by message (what the API said while Temporal or the cloud was away). */
  serverErrorMessages: Map<string, number>;
  followed: FollowedOperation[];
}

const empty = (): SurfaceLedger => ({
  lifecyclesStarted: 0,
  lifecyclesFinished: 0,
  requests: 0,
  retries: 0,
  serverErrors: 0,
  replays: 0,
  replayMismatches: [],
  reconciled: 0,
  cancels: 0,
  refused: 0,
  refusals: [],
  unanswered: [],
  serverErrorMessages: new Map(),
  followed: [],
});

export class Ledger {
  private readonly surfaces = new Map<Surface, SurfaceLedger>();
  /** Timeline of disruptions and phases (printed with the summary). */
  readonly events: Array<{ at: number; what: string }> = [];
  startedAt = Date.now();

  of(surface: Surface): SurfaceLedger {
    let l = this.surfaces.get(surface);
    if (!l) this.surfaces.set(surface, (l = empty()));
    return l;
  }

  event(what: string): void {
    this.events.push({ at: Date.now() - this.startedAt, what });
  }

  serverError(surface: Surface, status: number, text: string): void {
    const l = this.of(surface);
    l.serverErrors++;
    const key = `${status} ${text.replace(/\s+/g, ' ').slice(0, 160)}`;
    l.serverErrorMessages.set(key, (l.serverErrorMessages.get(key) ?? 0) + 1);
  }
}
