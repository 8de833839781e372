import type { ActivityDeps } from '../deps';
import { createFlavorReconcileActivities } from './reconcile';
import { createFlavorRecordActivities } from './records';
import { createRegionActivities } from './regions';

/** Side effects of the flavor catalog across regions: the regions' catalogs, our records of them, drift repair. */
export function createFlavorActivities(deps: ActivityDeps) {
  return {
    ...createRegionActivities(deps),
    ...createFlavorRecordActivities(deps),
    ...createFlavorReconcileActivities(deps),
  };
}
