import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** A profile's storage entry, in Kahu's shape. */
export interface ProfileVolume {
  bootable: boolean;
  bus: string;
  'guest-iface': string;
  'media-type': string;
  order: number;
  size: number;
  tag: string | null;
  type: string;
}

export interface ComputeProfilesTable {
  name: string;
  network: Json<Record<string, { type: string }>>;
  storage: Json<Record<string, ProfileVolume>>;
  created_at: CreatedAt;
}

export interface ComputeSizesTable {
  name: string;
  ncpu: number;
  memory: number;
  created_at: CreatedAt;
}

export type InstanceState = 'building' | 'stopped' | 'starting' | 'running' | 'stopping' | 'deleting' | 'error' | 'deleted';

export interface InstancesTable {
  id: Generated<number>;
  project_id: string;
  name: string;
  profile: string;
  size: string;
  ncpu: number;
  memory: number;
  /** Host index asked for (Kahu's /v0/hypervisor/instance/{n}); null lets the cloud place it. */
  hypervisor: number | null;
  ssh_key: string | null;
  state: InstanceState;
  vm_id: string | null;
  host_id: string | null;
  ipv4: string | null;
  hw: Json<Record<string, string>>;
  console: Json<Record<string, string>>;
  error: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  deleted_at: Date | null;
}

export type VolumeRowState = 'creating' | 'attached' | 'deleting';

export interface InstanceVolumesTable {
  instance_id: number;
  name: string;
  size: number;
  bootable: boolean;
  bus: string;
  guest_iface: string;
  media_type: string;
  order: number;
  tag: string | null;
  type: string;
  vdi_name: string;
  state: VolumeRowState;
  /** Cloud volume backing it; null for the VM's own root and config disks. */
  cloud_volume_id: string | null;
  upload_id: string | null;
  created_at: CreatedAt;
}

export interface InstanceSnapshotsTable {
  instance_id: number;
  name: string;
  state: 'creating' | 'available';
  cloud_snapshot_id: string | null;
  profile: string;
  size: string;
  network: Json<Record<string, unknown>>;
  storage: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

/** Uploaded disk images waiting to be imported as a volume. */
export interface UploadsTable {
  id: Generated<string>;
  project_id: string;
  filename: string;
  content: Buffer;
  size_bytes: number;
  created_at: CreatedAt;
}

export interface HypervisorsTable {
  index: number;
  host_id: string;
  name: string;
  region: string;
  state: string;
  ncpu: number;
  memory: number;
  disk: number;
  used_ncpu: number;
  used_memory: number;
  used_disk: number;
  synced_at: Date;
}

export interface ComputeTables {
  compute_profiles: ComputeProfilesTable;
  compute_sizes: ComputeSizesTable;
  instances: InstancesTable;
  instance_volumes: InstanceVolumesTable;
  instance_snapshots: InstanceSnapshotsTable;
  uploads: UploadsTable;
  hypervisors: HypervisorsTable;
}
