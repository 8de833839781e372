import type { ActivityDeps } from '../deps';
import { createAppAutoscalingActivities } from './autoscaling';
import { createAppDeploymentActivities } from './deployments';
import { createAppMediaServerActivities } from './media-servers';
import { createAppRecordActivities } from './records';

/** Side effects of the NUBOMEDIA PaaS apps domain: its rows, media-server VMs, builds, deployments, autoscaling. */
export function createAppActivities(deps: ActivityDeps) {
  return {
    ...createAppRecordActivities(deps),
    ...createAppMediaServerActivities(deps),
    ...createAppDeploymentActivities(deps),
    ...createAppAutoscalingActivities(deps),
  };
}
