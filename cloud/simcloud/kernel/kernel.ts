import type { Logger } from 'pino';
import { SimError } from './errors';
import type { Store } from './store';
import { Signals, Timers } from './timers';

export interface TransitionTiming {
  /** Base duration of each lifecycle transition. */
  transitionMs: number;
  /** Up to this much is added at random to each transition. */
  jitterMs: number;
}

/**
 * What every resource module shares: the store, the timers, long-poll signals and the jittered
 * transition delay. Every mutation checks and changes memory synchronously (JavaScript runs it
 * to completion, so concurrent requests cannot interleave inside it: capacity accounting stays
 * exact), marks what changed, then awaits commit() before answering.
 */
export class Kernel {
  readonly timers = new Timers();
  readonly signals = new Signals();

  constructor(
    readonly store: Store,
    private readonly timing: TransitionTiming,
    /** Jitter draws; replaced when the chaos seed changes so delays repeat too. */
    private jitterRng: () => number,
    readonly logger: Logger,
  ) {}

  setJitterRng(rng: () => number): void {
    this.jitterRng = rng;
  }

  /** The duration of one transition: base plus seeded jitter. */
  delay(): number {
    return this.timing.transitionMs + Math.floor(this.jitterRng() * this.timing.jitterMs);
  }

  /** Waits for the group commit; a failed write surfaces as a retryable error (the retry is idempotent). */
  async commit<T>(value: T): Promise<T> {
    try {
      await this.store.flush();
    } catch (err) {
      throw new SimError('unavailable', `simcloud could not persist the change: ${(err as Error).message}`);
    }
    return value;
  }

  /** Background writes (timers): nobody waits, a failure is logged and retried by the next round. */
  persistLater(): void {
    this.store.flush().catch(() => {});
  }

  stop(): void {
    this.timers.stopAll();
    this.signals.stop();
  }
}
