/**
 * What the flavor domain's API, workflows and activities share: the resources its operations act
 * on, and the failure types a region's call ends with (the API turns them into status codes).
 */

/** A flavor of the catalog: its installs, repairs and deletion run one at a time as `flavor/<id>`. */
export const FLAVOR_RESOURCE = 'flavor';
/** A flavor of one region's own catalog, not in ours: `region-flavor/<region>.<id>`. */
export const REGION_FLAVOR_RESOURCE = 'region-flavor';
export const regionFlavorResourceId = (region: string, flavorId: string) => `${region}.${flavorId}`;

export const FLAVOR_FAILURES = {
  /** The region did not answer (down, faulty, lost replies) until the retry bound passed. */
  regionUnavailable: 'RegionUnavailable',
  /** The region refused the stored credentials. */
  credentialsRejected: 'RegionCredentialsRejected',
  /** The region already has another flavor with that name. */
  nameTaken: 'RegionFlavorExists',
  /** The region rejected the flavor's values. */
  invalid: 'InvalidRequest',
  /** The flavor, region or infrastructure no longer exists. */
  notFound: 'NotFound',
  /** Several regions failed for different reasons. */
  regionsFailed: 'RegionsFailed',
} as const;

/** How one region's part of a fan-out failed. */
export interface RegionFailure {
  region: string;
  type: string;
  reason: string;
}
