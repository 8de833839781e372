import type { Selectable } from 'kysely';
import type { InstanceSnapshotsTable, InstanceVolumesTable } from '../../db/compute';
import type { InstanceRow } from './context';

export const profileUri = (name: string) => `/v0/compute/profile/${name}/`;
export const sizeUri = (name: string) => `/v0/compute/size/${name}/`;
export const hypervisorUri = (n: number) => `/v0/hypervisor/instance/${n}`;

type VolumeRow = Selectable<InstanceVolumesTable>;

/** One volume in Kahu's storage shape. */
export function volumeView(v: VolumeRow) {
  return {
    bootable: v.bootable,
    bus: v.bus,
    'guest-iface': v.guest_iface,
    'media-type': v.media_type,
    name: v.name,
    order: v.order,
    size: v.size,
    tag: v.tag,
    type: v.type,
    'vdi-name': v.vdi_name,
  };
}

/** Storage map name → volume, ordered by `order` (root 0, config 1, then added volumes). */
export function storageView(volumes: VolumeRow[]) {
  return Object.fromEntries([...volumes].sort((a, b) => a.order - b.order).map((v) => [v.name, volumeView(v)]));
}

export function instanceView(row: InstanceRow, base: string, network: Record<string, { type: string }>) {
  const uri = `${base}/instance/${row.id}/`;
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    profile: profileUri(row.profile),
    size: sizeUri(row.size),
    ncpu: row.ncpu,
    memory: row.memory,
    hypervisor: row.hypervisor === null ? null : hypervisorUri(row.hypervisor),
    'ssh-key': row.ssh_key,
    network: Object.fromEntries(Object.entries(network).map(([iface, n]) => [iface, { type: n.type, IPv4: row.ipv4 }])),
    hw: row.hw,
    console: row.console,
    error: row.error,
    uri,
    storage: `${uri}storage/`,
    snapshot: `${uri}snapshot/`,
    created: row.created_at.toISOString(),
  };
}

export function snapshotView(s: Selectable<InstanceSnapshotsTable>) {
  return {
    name: s.name,
    state: s.state,
    network: s.network,
    profile: s.profile,
    size: s.size,
    storage: s.storage,
    timestamp: s.created_at.toISOString(),
  };
}
