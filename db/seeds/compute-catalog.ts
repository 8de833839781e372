import type { Db } from '../connection';
import type { ProfileVolume } from '../compute';

const rootDisk = (size: number): ProfileVolume => ({
  bootable: true,
  bus: '',
  'guest-iface': 'virtio',
  'media-type': 'disk',
  order: 0,
  size,
  tag: null,
  type: 'qcow2',
});

/** Kahu's documented profiles and sizes, so the quickstart works as written. Admins add more. */
export const DEFAULT_PROFILES: Record<string, { network: Record<string, { type: string }>; storage: Record<string, ProfileVolume> }> = {
  'debian-jessie-2016011200': { network: { external: { type: 'virtio' } }, storage: { root: rootDisk(16384) } },
  'debian-jessie-amd64': { network: { external: { type: 'virtio' } }, storage: { root: rootDisk(16384) } },
  'debian-jessie': { network: { external: { type: 'virtio' } }, storage: { root: rootDisk(16384) } },
  empty: { network: { external: { type: 'virtio' } }, storage: {} },
};

export const DEFAULT_SIZES: Record<string, { ncpu: number; memory: number }> = {
  '1cpu256mb': { ncpu: 1, memory: 256 },
  '1cpu512mb': { ncpu: 1, memory: 512 },
  '2cpu1gb': { ncpu: 2, memory: 1024 },
  '2cpu4gb': { ncpu: 2, memory: 4096 },
  '4cpu8gb': { ncpu: 4, memory: 8192 },
};

/** Inserts the defaults that are missing; never overwrites what an admin changed. */
export async function seedComputeCatalog(db: Db): Promise<void> {
  for (const [name, p] of Object.entries(DEFAULT_PROFILES)) {
    await db
      .insertInto('compute_profiles')
      .values({ name, network: JSON.stringify(p.network), storage: JSON.stringify(p.storage) })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
  for (const [name, s] of Object.entries(DEFAULT_SIZES)) {
    await db
      .insertInto('compute_sizes')
      .values({ name, ...s })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
}
