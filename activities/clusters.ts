import type { ActivityDeps } from './deps';

/** Side effects of the BigData PaaS products and clusters domain (placeholder until the domain lands). */
export function createClusterActivities(_deps: ActivityDeps) {
  return {};
}
