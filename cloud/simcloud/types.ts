import type { Host, Snapshot, Vm, VmState, Volume } from '../contract';

/**
 * Internal records: the contract's shapes plus what simcloud needs to resume after a restart
 * (client tokens, the pending transition and when it fires). The API strips these extras.
 */
export interface PendingTransition<S extends string> {
  /** The state the object moves to when the timer fires. */
  pendingState: S | null;
  /** Epoch ms at which the pending transition fires; persisted so timers re-arm after a restart. */
  transitionAt: number | null;
}

export interface VmRecord extends Vm, PendingTransition<VmState> {
  clientToken: string;
  /** Epoch ms at which the DHCP lease appears (only while running without addresses). */
  leaseAt: number | null;
}

export interface VolumeRecord extends Volume, PendingTransition<'available' | 'attached'> {
  clientToken: string;
  /** Attach target remembered while the volume is still being created. */
  attachTo: string | null;
  checksum: string | null;
}

export interface SnapshotRecord extends Snapshot, PendingTransition<'available'> {
  clientToken: string;
}

/** Hosts persist only their capacity; used amounts are recomputed from VMs at load. */
export type HostRecord = Host;

export interface TopologyOptions {
  regions: string[];
  hostsPerRegion: number;
  hostCpu: number;
  hostMemoryMb: number;
  hostDiskMb: number;
}

export interface TimingOptions {
  transitionMs: number;
  jitterMs: number;
  leaseDelayMs: number;
}
