/**
 * The cloud backend contract. Activities reach the cloud only through this interface; simcloud
 * (cloud/simcloud) is the default implementation, reached over HTTP by cloud/simcloud-client.ts.
 * Another backend (OpenStack, OpenNebula, Kubernetes) is one more implementation of it.
 *
 * Every create takes a clientToken: calling it again with the same token returns the object
 * created the first time (even if the first reply was lost), so retries never duplicate.
 */

export type VmState = 'building' | 'stopped' | 'starting' | 'running' | 'stopping' | 'error' | 'deleted';
export type HostState = 'up' | 'down';
export type VolumeState = 'creating' | 'available' | 'attached' | 'error' | 'deleted';
export type SnapshotState = 'creating' | 'available' | 'error' | 'deleted';

export interface Region {
  name: string;
}

export interface Host {
  id: string;
  /** Stable small integer, for APIs that number hypervisors (Kahu's /v0/hypervisor/instance/{n}). */
  index: number;
  name: string;
  region: string;
  state: HostState;
  cpu: number;
  memoryMb: number;
  diskMb: number;
  usedCpu: number;
  usedMemoryMb: number;
  usedDiskMb: number;
  /** Free-form labels used by placement requirements (e.g. { GEO: 'EU', LATENCY: '5' }). */
  labels: Record<string, string>;
}

export interface VmDisk {
  name: string;
  sizeMb: number;
}

export interface Vm {
  id: string;
  name: string;
  region: string;
  hostId: string;
  state: VmState;
  cpu: number;
  memoryMb: number;
  diskMb: number;
  /** Why the VM is in 'error' (crash, host down, failed transition). */
  error: string | null;
  /** Key/values handed to the guest (SSH key, credentials, device info). */
  context: Record<string, string>;
  /** Hardware and console settings applied at boot. */
  settings: Record<string, string>;
  requirements: Record<string, string>;
  /** Addresses appear some time after the VM starts running (DHCP lease), and go when it stops. */
  addresses: { ipv4: string | null; ipv6: string | null; external: string | null };
  createdAt: string;
  updatedAt: string;
}

export interface Volume {
  id: string;
  name: string;
  vmId: string | null;
  sizeMb: number;
  format: 'qcow2' | 'raw';
  state: VolumeState;
  createdAt: string;
}

export interface Snapshot {
  id: string;
  name: string;
  vmId: string;
  state: SnapshotState;
  /** Copy of the VM's shape at the time of the snapshot. */
  vm: { cpu: number; memoryMb: number; diskMb: number; volumes: string[] };
  createdAt: string;
}

export interface CreateVmRequest {
  clientToken: string;
  name: string;
  region?: string;
  cpu: number;
  memoryMb: number;
  diskMb: number;
  /** Place on this host, or fail with a capacity error when it has no room (or is down). */
  hostId?: string;
  /** Host labels that must match (KEY → value); upper-case keys by convention. */
  requirements?: Record<string, string>;
  /** Host label to prefer: hosts with a lower value of that label rank first; default: most free memory. */
  rank?: string;
  context?: Record<string, string>;
  settings?: Record<string, string>;
}

export interface CreateVolumeRequest {
  clientToken: string;
  name: string;
  /** Size in MB; or the size of `contentBase64` for an uploaded image. */
  sizeMb?: number;
  format?: 'qcow2' | 'raw';
  /** Attach to this VM once created. */
  vmId?: string;
  /** Uploaded image content (small images only; simcloud keeps just its size and checksum). */
  contentBase64?: string;
}

export interface CreateSnapshotRequest {
  clientToken: string;
  vmId: string;
  name: string;
}

export interface MigrateVmRequest {
  /** Target host; when absent the backend picks the most suitable host matching requirements. */
  hostId?: string;
  requirements?: Record<string, string>;
  rank?: string;
}

/** Error codes a backend reports; `retryable` says whether trying again can succeed. */
export type CloudErrorCode =
  | 'capacity' // no host has room (or the asked-for host has none): not retryable
  | 'not_found' // the object does not exist: not retryable
  | 'invalid' // the request is malformed or breaks a rule: not retryable
  | 'conflict' // the object is in a state that forbids this now (e.g. start while building): retryable later
  | 'unavailable'; // backend fault, timeout, 5xx, lost response: retryable

export class CloudError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CloudError';
  }
  get retryable(): boolean {
    return this.code === 'conflict' || this.code === 'unavailable';
  }
}

export interface CloudBackend {
  listRegions(): Promise<Region[]>;
  listHosts(filter?: { region?: string }): Promise<Host[]>;
  getHost(id: string): Promise<Host>;

  createVm(req: CreateVmRequest): Promise<Vm>;
  getVm(id: string): Promise<Vm>;
  listVms(filter?: { hostId?: string; state?: VmState }): Promise<Vm[]>;
  /** Idempotent: starting a running (or starting) VM is a no-op returning it. */
  startVm(id: string, settings?: Record<string, string>): Promise<Vm>;
  /** Idempotent: stopping a stopped (or stopping) VM is a no-op returning it. */
  stopVm(id: string): Promise<Vm>;
  /** Restart a VM in 'error' on its host (or a crashed one): moves it to starting. */
  rebootVm(id: string): Promise<Vm>;
  /** Idempotent: deleting a deleted or unknown VM succeeds. Releases its attached volumes. */
  deleteVm(id: string): Promise<void>;
  /** Live resize within the host's free capacity; rename when name is given. */
  updateVm(id: string, changes: { cpu?: number; memoryMb?: number; diskMb?: number; name?: string; context?: Record<string, string> }): Promise<Vm>;
  migrateVm(id: string, req: MigrateVmRequest): Promise<Vm>;

  createVolume(req: CreateVolumeRequest): Promise<Volume>;
  getVolume(id: string): Promise<Volume>;
  attachVolume(id: string, vmId: string): Promise<Volume>;
  detachVolume(id: string): Promise<Volume>;
  /** Idempotent: deleting a deleted or unknown volume succeeds. */
  deleteVolume(id: string): Promise<void>;

  createSnapshot(req: CreateSnapshotRequest): Promise<Snapshot>;
  getSnapshot(id: string): Promise<Snapshot>;
  /** Idempotent. */
  deleteSnapshot(id: string): Promise<void>;
}
