import type { ActivityDeps } from './deps';
import { createCloudActivities } from './cloud';
import { createComputeActivities } from './compute';
import { createRuntimeActivities } from './runtimes';

/** Every activity the worker registers, built from one set of dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCloudActivities(deps),
    ...createComputeActivities(deps),
    ...createRuntimeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
