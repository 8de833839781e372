import type { ActivityDeps } from './deps';

/** Side effects of the NUBOMEDIA PaaS apps and media servers domain (placeholder until the domain lands). */
export function createAppActivities(_deps: ActivityDeps) {
  return {};
}
