/**
 * One timer per key ('vm:<id>', 'pod:<id>', ...): arming a key again replaces its timer. Times
 * are absolute epoch ms, persisted by the resource, so timers re-arm at load after a restart.
 */
export class Timers {
  private timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  arm(key: string, at: number, fn: () => void): void {
    if (this.stopped) return;
    this.cancel(key);
    const t = setTimeout(
      () => {
        this.timers.delete(key);
        fn();
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  /** At shutdown: pending transitions stay persisted and resume at the next start. */
  stopAll(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}

/**
 * Wake-ups for long-polls: a reader waits on a key ('pod:<id>', 'build:<id>') until something
 * notifies it or its time is up. Stopping wakes everyone, so shutdown never waits on a reader.
 */
export class Signals {
  private waiters = new Map<string, Set<() => void>>();
  private stopped = false;

  /** Resolves on the next notify(key), after `ms`, or at stop(), whichever comes first. */
  wait(key: string, ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const wake = () => {
        clearTimeout(timer);
        const current = this.waiters.get(key);
        current?.delete(wake);
        if (current?.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const wake of [...set]) wake();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
