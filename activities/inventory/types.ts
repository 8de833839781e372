import type { Client } from '@temporalio/client';
import type { Drift, ExpectedObject, MarkedObject } from '../../lib/inventory';
import type { OperationStarterDeps, StartedOperation } from '../../lib/operations';

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
  /** Every live cloud object of the kinds the domain creates, with its mark for this domain when it has one. */
  cloudObjects(): Promise<Array<Omit<MarkedObject, 'owner'> & { owner: MarkedObject['owner'] | null }>>;
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
  /** Why vanished objects are only reported (shown with the drift), when removeVanished is absent. */
  vanishedNote?: string;
}

export type { Client };
