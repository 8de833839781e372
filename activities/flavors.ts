import type { ActivityDeps } from './deps';

/** Side effects of the FIWARE flavor catalog across regions domain (placeholder until the domain lands). */
export function createFlavorActivities(_deps: ActivityDeps) {
  return {};
}
