import type { VmState } from '../contract';

/**
 * The VM state machine for user actions. Timers (not users) finish the transitional states:
 * building→stopped, starting→running, stopping→stopped.
 */
export type VmAction = 'start' | 'stop' | 'reboot';

export type Plan =
  | { kind: 'noop' }
  | { kind: 'transition'; to: VmState; then: VmState }
  | { kind: 'conflict'; message: string };

export function planVmAction(state: VmState, action: VmAction): Plan {
  const no = (why: string): Plan => ({ kind: 'conflict', message: `cannot ${action} a VM that is ${state}${why}` });
  switch (action) {
    case 'start':
      if (state === 'running' || state === 'starting') return { kind: 'noop' };
      if (state === 'stopped') return { kind: 'transition', to: 'starting', then: 'running' };
      return no(state === 'error' ? ' (reboot it)' : '');
    case 'stop':
      if (state === 'stopped' || state === 'stopping') return { kind: 'noop' };
      // Powering off a crashed VM is allowed: it clears the error.
      if (state === 'running' || state === 'error') return { kind: 'transition', to: 'stopping', then: 'stopped' };
      return no('');
    case 'reboot':
      if (state === 'running' || state === 'error') return { kind: 'transition', to: 'starting', then: 'running' };
      return no('');
  }
}

/** One timer per object, keyed 'vm:<id>', 'lease:<id>', ...; re-armed from persisted times at load. */
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
