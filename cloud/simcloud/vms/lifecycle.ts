import type { VmState } from '../../contract';

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
