import type { ActivityDeps } from './deps';
import { createCloudActivities } from './cloud';
import { createComputeActivities } from './compute';
import { createRuntimeActivities } from './runtimes';
import { createAppActivities } from './apps';
import { createFlavorActivities } from './flavors';
import { createClusterActivities } from './clusters';
import { createBenchActivities } from './bench';
import { createSweepActivities } from './sweep';
import { createWebhookActivities } from './webhooks';

/** Every activity the worker registers, built from one set of dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCloudActivities(deps),
    ...createComputeActivities(deps),
    ...createRuntimeActivities(deps),
    ...createAppActivities(deps),
    ...createFlavorActivities(deps),
    ...createClusterActivities(deps),
    ...createBenchActivities(),
    ...createSweepActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
