/**
 * What the orphan sweeper (workflows/sweep.ts) and each domain's inventory
 * (activities/inventory/<domain>.ts) share: the ownership mark the platform puts on the cloud
 * objects it creates, and the shape of a domain's inventory and of the drift found in it.
 *
 * The mark is what makes sweeping safe: a cloud object is the platform's only when its mark
 * names one of this deployment's resources (`PROVISIO_OWNER`, prefixed with WORKFLOW_ID_PREFIX),
 * so another tenant's objects, another deployment's and a test's own are never touched. It goes
 * in a VM's context, and in the labels of a container deployment, a build, a volume or a
 * snapshot: the same entries, written by the same helper (ownerMark) and read by the same one
 * (readOwnerMark).
 */

/** Keys of the mark (VM context: key/values handed to the guest, like cloud-init metadata; deployment, build, volume and snapshot labels). */
export const OWNER_KEY = 'PROVISIO_OWNER';
export const PROJECT_KEY = 'PROVISIO_PROJECT';

export interface OwnerRef {
  /** e.g. "instance" */
  resourceType: string;
  /** e.g. "42" */
  resourceId: string;
  projectId: string | null;
}

/** The context (or label) entries marking an object as owned by `<resourceType>/<resourceId>` of this deployment. */
export function ownerMark(prefix: string, owner: OwnerRef): Record<string, string> {
  return {
    [OWNER_KEY]: `${prefix}${owner.resourceType}/${owner.resourceId}`,
    ...(owner.projectId ? { [PROJECT_KEY]: owner.projectId } : {}),
  };
}

/** The owner an object's context (or labels) names, when it is this deployment's (`prefix`); else null. */
export function readOwnerMark(prefix: string, context: Record<string, string> | undefined): OwnerRef | null {
  const mark = context?.[OWNER_KEY];
  if (!mark || !mark.startsWith(prefix)) return null;
  const m = /^([a-z][a-z-]*)\/([A-Za-z0-9._-]+)$/.exec(mark.slice(prefix.length));
  if (!m) return null;
  return { resourceType: m[1]!, resourceId: m[2]!, projectId: context?.[PROJECT_KEY] ?? null };
}

/**
 * A listing filter (`label`, cloud/contract.ts) for the objects carrying a mark: with an owner,
 * that owner's objects; without, every object carrying a mark of any deployment (readOwnerMark
 * then keeps this deployment's).
 */
export function ownerSelector(prefix: string, owner?: Pick<OwnerRef, 'resourceType' | 'resourceId'>): string {
  return owner ? `${OWNER_KEY}=${prefix}${owner.resourceType}/${owner.resourceId}` : OWNER_KEY;
}

/**
 * The kinds of cloud object the sweeper compares (pods are compared, never removed: they go with
 * their deployment). A region flavor's cloudId is `<region>.<flavor id>`: each region has its own catalog.
 */
export type ObjectKind = 'vm' | 'deployment' | 'build' | 'pod' | 'region-flavor' | 'volume' | 'snapshot';

/** A cloud object one of the platform's rows refers to. */
export interface ExpectedObject {
  kind: ObjectKind;
  /** The cloud's id of it. */
  cloudId: string;
  owner: OwnerRef;
  /** When the row last changed (a row whose object vanished is acted on only once it is older than the grace period). */
  rowUpdatedAt: string;
  /** The row is mid-operation (building, deleting…): its object may come and go. */
  transient: boolean;
  /**
   * When the object vanished: 'repair' records the loss on the row, as an operation on the
   * owner's resource (the domain's recordVanished: an app goes FAILED, a cluster node failed);
   * 'report' lists it only. Absent: the domain's removeVanished when it has one, else report.
   */
  onVanished?: 'repair' | 'report';
  /** Why a vanished object is only reported (shown with the drift). */
  vanishedNote?: string;
}

/** A cloud object carrying this deployment's mark for the domain. */
export interface MarkedObject {
  kind: ObjectKind;
  cloudId: string;
  name: string;
  owner: OwnerRef;
  createdAt: string;
  state: string;
}

export type DriftKind = 'orphan-object' | 'vanished-object';

/**
 * One difference between the database and the cloud:
 * - orphan-object: a marked cloud object no row refers to;
 * - vanished-object: a row refers to a cloud object the cloud no longer has.
 */
export interface Drift {
  domain: string;
  kind: DriftKind;
  cloudId: string;
  objectKind: ObjectKind;
  owner: OwnerRef;
  /** Age in ms of the object (orphans) or of the row's last change (vanished objects). */
  ageMs: number;
  /**
   * remove: old enough, and the orphan (or the row whose object vanished) is removed; repair: old
   * enough, and the row records the loss; wait: inside the grace period; report: the domain leaves
   * it to someone else.
   */
  action: 'remove' | 'repair' | 'wait' | 'report';
  detail: string;
}

/** What one sweep of a domain found and did (the sweep workflow's result, in the Temporal UI). */
export interface SweepReport {
  domain: string;
  expected: number;
  marked: number;
  drift: Drift[];
  /** Removal operations started (operation ids), and drift skipped because its resource was busy. */
  started: string[];
  busy: number;
}
