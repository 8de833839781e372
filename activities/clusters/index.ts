import type { ActivityDeps } from '../deps';
import { createClusterConfigureActivities } from './configure';
import { createClusterNodeActivities } from './nodes';
import { createClusterRegistryActivities } from './registry';

/** Side effects of the BigData PaaS clusters domain: registry rows, node pods, the orchestrator step. */
export function createClusterActivities(deps: ActivityDeps) {
  return {
    ...createClusterRegistryActivities(deps),
    ...createClusterNodeActivities(deps),
    ...createClusterConfigureActivities(deps),
  };
}

export type ClusterActivities = ReturnType<typeof createClusterActivities>;
