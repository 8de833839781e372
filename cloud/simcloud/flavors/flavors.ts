import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { RegionFlavor } from '../../contract';
import type { Hosts } from '../hosts/hosts';
import { exists, notFound } from '../kernel/errors';
import type { Kernel } from '../kernel/kernel';
import { now } from '../kernel/records';
import type { Table } from '../kernel/store';
import type { createRegionFlavorBody } from './schema';

/** A flavor in its region's catalog; `id` is the row key '<region>/<flavor id>'. */
interface FlavorRecord {
  id: string;
  flavor: RegionFlavor;
}

export type NewRegionFlavor = z.infer<typeof createRegionFlavorBody>;

/** Each region's compute service keeps its own flavor catalog (Nova-style); names are unique per region. */
export class Flavors {
  /** region → flavor id → flavor */
  private readonly catalogs = new Map<string, Map<string, RegionFlavor>>();
  private readonly table: Table<FlavorRecord>;

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: Hosts,
  ) {
    this.table = kernel.store.table<FlavorRecord>({ name: 'flavors' });
  }

  restore(): void {
    for (const { flavor } of this.table.takeLoaded()) this.catalog(flavor.region).set(flavor.id, flavor);
  }

  list(region: string): RegionFlavor[] {
    return [...this.catalog(region).values()];
  }

  get(region: string, id: string): RegionFlavor {
    const flavor = this.catalog(region).get(id);
    if (!flavor) throw notFound('flavor', `${id} in region ${region}`);
    return flavor;
  }

  /** Idempotent for a caller-chosen id with the same name; another flavor of that id or name → exists. */
  async create(region: string, req: NewRegionFlavor): Promise<{ flavor: RegionFlavor; created: boolean }> {
    const catalog = this.catalog(region);
    const same = req.id === undefined ? undefined : catalog.get(req.id);
    if (same) {
      if (same.name === req.name) return this.kernel.commit({ flavor: same, created: false });
      throw exists(`flavor ${same.id} already exists in region ${region} with name ${same.name}`);
    }
    for (const f of catalog.values()) if (f.name === req.name) throw exists(`a flavor named ${req.name} already exists in region ${region} (id ${f.id})`);
    const flavor: RegionFlavor = {
      id: req.id ?? randomUUID(),
      name: req.name,
      vcpus: req.vcpus,
      ram: req.ram,
      disk: req.disk,
      swap: req.swap,
      public: req.public,
      region,
      createdAt: now(),
    };
    catalog.set(flavor.id, flavor);
    this.table.mark({ id: `${region}/${flavor.id}`, flavor });
    return this.kernel.commit({ flavor, created: true });
  }

  /** Idempotent: deleting an unknown flavor succeeds. */
  async delete(region: string, id: string): Promise<void> {
    if (this.catalog(region).delete(id)) this.table.remove(`${region}/${id}`);
    return this.kernel.commit(undefined);
  }

  get count(): number {
    let n = 0;
    for (const c of this.catalogs.values()) n += c.size;
    return n;
  }

  /** A region's catalog; unknown regions are not_found (a region exists once it has had a host). */
  requireRegion(region: string): void {
    this.hosts.requireRegion(region);
  }

  private catalog(region: string): Map<string, RegionFlavor> {
    let c = this.catalogs.get(region);
    if (!c) this.catalogs.set(region, (c = new Map()));
    return c;
  }
}
