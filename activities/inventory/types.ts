import type { Client } from '@temporalio/client';
import type { Drift, ExpectedObject, MarkedObject, ObjectKind, OwnerRef } from '../../lib/inventory';
import type { OperationStarterDeps, StartedOperation } from '../../lib/operations';

/** A live cloud object of a kind the domain creates, with its mark for this domain when it has one. */
export type CloudObject = Omit<MarkedObject, 'owner'> & { owner: MarkedObject['owner'] | null };

/** A row's cloud object that vanished, as the repair operation receives it. */
export interface VanishedObject {
  kind: ObjectKind;
  cloudId: string;
  owner: OwnerRef;
}

/**
 * One domain's inventory, for the orphan sweeper: what its rows say should exist in the cloud,
 * and which cloud objects carry its mark. A domain joins the sweep by adding one of these to
 * activities/inventory/index.ts; the sweep schedule, the comparison, the grace period and the
 * removal of orphan objects come with it.
 */
export interface DomainInventory {
  domain: string;
  /** Cloud objects the domain's live rows refer to. */
  expected(): Promise<ExpectedObject[]>;
  /**
   * Every live cloud object of the kinds the domain creates (only `kinds` when given), with its
   * mark for this domain when it has one. An object the rows refer to but the listing misses is
   * read directly before it counts as vanished, so a listing may leave out unmarked objects.
   */
  cloudObjects(kinds?: readonly ObjectKind[]): Promise<CloudObject[]>;
  /**
   * Whether a row claims the object right now (re-checked just before an orphan is deleted): a
   * row refers to it, or its owner is still being created and has not recorded it yet.
   */
  isClaimed(object: MarkedObject): Promise<boolean>;
  /**
   * Removes a row whose cloud object vanished, as an operation on that row's resource; absent when
   * the domain leaves such rows to someone else (a supervisor that recreates the object).
   */
  removeVanished?(deps: OperationStarterDeps, drift: Drift): Promise<StartedOperation>;
  /**
   * Records on the rows that an object they refer to vanished (expected objects with
   * `onVanished: 'repair'`), run inside a `repairVanishedObject` operation on the owner's resource,
   * so it never races that resource's own operations. Answers what it changed, or null when no
   * row refers to the object any more (nothing to do).
   */
  recordVanished?(object: VanishedObject): Promise<string | null>;
  /** Why vanished objects are only reported (shown with the drift), when neither of the above applies. */
  vanishedNote?: string;
  /**
   * For kinds the cloud contract does not reach by id alone (a region's flavor, behind that
   * region's credentials): reads one object (null once it is gone) and deletes an orphan.
   */
  readObject?(kind: ObjectKind, cloudId: string): Promise<{ name: string; state: string } | null>;
  deleteObject?(kind: ObjectKind, cloudId: string): Promise<void>;
}

export type { Client };
