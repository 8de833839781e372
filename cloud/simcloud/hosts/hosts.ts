import type { Host, Region } from '../../contract';
import { conflict, notFound } from '../kernel/errors';
import type { Kernel } from '../kernel/kernel';
import type { Table } from '../kernel/store';

/** What an object takes from a host: CPU in millicores (pods ask for fractions), memory and disk in MB. */
export interface Load {
  milliCpu: number;
  memoryMb: number;
  diskMb: number;
}

/**
 * A host: its capacity is persisted; what is used (and by whom) is not — it is recomputed from
 * the VMs and pods on it when they are loaded.
 */
export interface HostRecord {
  id: string;
  index: number;
  name: string;
  region: string;
  state: 'up' | 'down';
  cpu: number;
  memoryMb: number;
  diskMb: number;
  labels: Record<string, string>;
  used: Load;
  /** Ids of the VMs and pods holding capacity here. */
  occupants: Set<string>;
}

interface RegionRecord {
  /** The region's name. */
  id: string;
}

export interface NewHostSpec {
  region: string;
  name?: string;
  cpu: number;
  memoryMb: number;
  diskMb: number;
  labels?: Record<string, string>;
}

const noLoad = (): Load => ({ milliCpu: 0, memoryMb: 0, diskMb: 0 });

export function viewHost(h: HostRecord): Host {
  return {
    id: h.id,
    index: h.index,
    name: h.name,
    region: h.region,
    state: h.state,
    cpu: h.cpu,
    memoryMb: h.memoryMb,
    diskMb: h.diskMb,
    usedCpu: h.used.milliCpu / 1000,
    usedMemoryMb: h.used.memoryMb,
    usedDiskMb: h.used.diskMb,
    labels: h.labels,
  };
}

/** Regions and hosts, and the capacity accounting every placed object goes through. */
export class Hosts {
  private readonly regions = new Map<string, RegionRecord>();
  private readonly hosts = new Map<string, HostRecord>();
  private readonly byRegion = new Map<string, HostRecord[]>();
  private readonly regionTable: Table<RegionRecord>;
  private readonly hostTable: Table<HostRecord>;
  /** Persisted so a removed host's index (and id) is never handed out again. */
  private nextIndex = 0;

  constructor(private readonly kernel: Kernel) {
    this.regionTable = kernel.store.table<RegionRecord>({ name: 'regions', key: 'name', order: 'created_at, name' });
    this.hostTable = kernel.store.table<HostRecord>({
      name: 'hosts',
      columns: { idx: "(d->>'index')::int" },
      order: 'idx',
      toDoc: ({ used: _used, occupants: _occupants, ...capacity }) => capacity,
    });
  }

  restore(): void {
    for (const r of this.regionTable.takeLoaded()) this.regions.set(r.id, r);
    for (const doc of this.hostTable.takeLoaded()) {
      // Older documents carried used amounts; they are recomputed instead.
      const { id, index, name, region, state, cpu, memoryMb, diskMb, labels } = doc;
      this.index({ id, index, name, region, state, cpu, memoryMb, diskMb, labels, used: noLoad(), occupants: new Set() });
    }
    this.nextIndex = Math.max(this.nextIndex, this.kernel.store.getMeta<number>('nextHostIndex') ?? 0);
  }

  // ---- regions

  listRegions(): Region[] {
    return [...this.regions.keys()].map((name) => ({ name }));
  }

  regionNames(): string[] {
    return [...this.regions.keys()];
  }

  hasRegion(name: string): boolean {
    return this.regions.has(name);
  }

  requireRegion(name: string): void {
    if (!this.regions.has(name)) throw notFound('region', name);
  }

  get regionCount(): number {
    return this.regions.size;
  }

  // ---- hosts

  list(region?: string): Host[] {
    const hosts = region ? (this.byRegion.get(region) ?? []) : this.hosts.values();
    return [...hosts].map(viewHost);
  }

  get(id: string): HostRecord {
    const h = this.hosts.get(id);
    if (!h) throw notFound('host', id);
    return h;
  }

  find(id: string): HostRecord | undefined {
    return this.hosts.get(id);
  }

  /** Hosts of a region, or every host. */
  candidates(region?: string): Iterable<HostRecord> {
    return region ? (this.byRegion.get(region) ?? []) : this.hosts.values();
  }

  get count(): number {
    return this.hosts.size;
  }

  async add(specs: NewHostSpec[]): Promise<Host[]> {
    const added = specs.map((s) => {
      const index = this.nextIndex;
      const host: HostRecord = {
        id: `host-${index}`,
        index,
        name: s.name ?? `${s.region}-hv${index}`,
        region: s.region,
        state: 'up',
        cpu: s.cpu,
        memoryMb: s.memoryMb,
        diskMb: s.diskMb,
        labels: { ...(s.labels ?? {}) },
        used: noLoad(),
        occupants: new Set(),
      };
      if (!this.regions.has(host.region)) {
        const region = { id: host.region };
        this.regions.set(region.id, region);
        this.regionTable.mark(region);
      }
      this.index(host);
      this.hostTable.mark(host);
      return host;
    });
    this.kernel.store.setMeta('nextHostIndex', this.nextIndex);
    return this.kernel.commit(added.map(viewHost));
  }

  /** Marks the host up or down; the caller fails what runs on it (see chaos/events.ts). */
  setState(id: string, state: 'up' | 'down'): HostRecord {
    const host = this.get(id);
    if (host.state !== state) {
      host.state = state;
      this.hostTable.mark(host);
    }
    return host;
  }

  /** Removes an empty host; idempotent for unknown ids. A host with a live VM or pod is a conflict. */
  async remove(id: string): Promise<void> {
    const host = this.hosts.get(id);
    if (!host) return this.kernel.commit(undefined);
    if (host.occupants.size > 0)
      throw conflict(`host ${host.name} still holds ${host.occupants.size} VM(s) or pod(s): ${[...host.occupants].slice(0, 5).join(', ')}`);
    this.hosts.delete(id);
    const list = this.byRegion.get(host.region)!;
    list.splice(list.indexOf(host), 1);
    this.hostTable.remove(id);
    return this.kernel.commit(undefined);
  }

  /** Accounts an object's load on a host (sign +1 to take, -1 to give back). */
  account(host: HostRecord, occupantId: string, load: Load, sign: 1 | -1): void {
    host.used.milliCpu += sign * load.milliCpu;
    host.used.memoryMb += sign * load.memoryMb;
    host.used.diskMb += sign * load.diskMb;
    if (sign > 0) host.occupants.add(occupantId);
    else host.occupants.delete(occupantId);
  }

  /** Summed use over every host. */
  used(): Load {
    const total = noLoad();
    for (const h of this.hosts.values()) {
      total.milliCpu += h.used.milliCpu;
      total.memoryMb += h.used.memoryMb;
      total.diskMb += h.used.diskMb;
    }
    return total;
  }

  private index(h: HostRecord): void {
    this.hosts.set(h.id, h);
    let list = this.byRegion.get(h.region);
    if (!list) this.byRegion.set(h.region, (list = []));
    list.push(h);
    this.nextIndex = Math.max(this.nextIndex, h.index + 1);
  }
}
