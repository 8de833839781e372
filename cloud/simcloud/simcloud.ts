import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  CreateSnapshotRequest,
  CreateVmRequest,
  CreateVolumeRequest,
  Host,
  MigrateVmRequest,
  Region,
  Snapshot,
  Vm,
  VmState,
  Volume,
} from '../contract';
import { AddressPool, noAddresses } from './addresses';
import { capacity, conflict, invalid, notFound, SimError } from './errors';
import { planVmAction, Timers, type VmAction } from './lifecycle';
import { chooseHost, hasRoom, matchesRequirements } from './placement';
import type { LoadedState, Store } from './store';
import type { HostRecord, SnapshotRecord, TimingOptions, VmRecord, VolumeRecord } from './types';

export interface NewHostSpec {
  region: string;
  name?: string;
  cpu: number;
  memoryMb: number;
  diskMb: number;
  labels?: Record<string, string>;
}

export type VmChanges = { cpu?: number; memoryMb?: number; diskMb?: number; name?: string; context?: Record<string, string> };

const newId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const now = () => new Date().toISOString();

/**
 * The simulated cloud: the in-memory model, its rules, and its timers. Every mutation checks and
 * changes memory synchronously (JavaScript runs it to completion, so concurrent requests cannot
 * interleave inside it: capacity accounting stays exact), marks what changed, then awaits the
 * store's group commit before answering.
 */
export class Simcloud {
  private regions = new Set<string>();
  private hosts = new Map<string, HostRecord>();
  private hostsByRegion = new Map<string, HostRecord[]>();
  private vms = new Map<string, VmRecord>();
  private vmsByHost = new Map<string, Set<string>>();
  private vmTokens = new Map<string, string>();
  private volumes = new Map<string, VolumeRecord>();
  private volumeTokens = new Map<string, string>();
  private snapshots = new Map<string, SnapshotRecord>();
  private snapshotTokens = new Map<string, string>();
  private addresses = new AddressPool();
  private timers = new Timers();
  private nextHostIndex = 0;
  private initialized = false;

  constructor(
    private readonly store: Store,
    private readonly timing: TimingOptions,
    /** Jitter draws; replaced when the chaos seed changes so delays repeat too. */
    private jitterRng: () => number,
    private readonly logger: Logger,
  ) {}

  setJitterRng(rng: () => number): void {
    this.jitterRng = rng;
  }

  // ---- startup and shutdown -------------------------------------------------------------

  /** Rebuilds memory from Postgres and re-arms every pending transition at its persisted time. */
  restore(state: LoadedState): void {
    for (const r of state.regions) this.regions.add(r);
    for (const h of state.hosts) {
      Object.assign(h, { usedCpu: 0, usedMemoryMb: 0, usedDiskMb: 0 });
      this.indexHost(h);
    }
    this.addresses = new AddressPool(Number(state.meta.get('leaseCounter') ?? 0));
    this.initialized = state.meta.get('initialized') === true;
    for (const vm of state.vms) {
      this.vms.set(vm.id, vm);
      this.vmTokens.set(vm.clientToken, vm.id);
      if (vm.state === 'deleted') continue;
      const host = this.hosts.get(vm.hostId);
      if (host) this.account(host, vm, +1);
      this.addresses.claim(vm.addresses);
      this.armVm(vm);
    }
    for (const v of state.volumes) {
      this.volumes.set(v.id, v);
      this.volumeTokens.set(v.clientToken, v.id);
      this.armVolume(v);
    }
    for (const s of state.snapshots) {
      this.snapshots.set(s.id, s);
      this.snapshotTokens.set(s.clientToken, s.id);
      this.armSnapshot(s);
    }
    this.logger.info(
      { hosts: this.hosts.size, vms: this.vms.size, volumes: this.volumes.size, pendingTimers: this.timers.size },
      'simcloud state loaded',
    );
  }

  get isInitialized(): boolean {
    return this.initialized;
  }

  async markInitialized(): Promise<void> {
    this.initialized = true;
    this.store.markMeta('initialized', true);
    await this.commit(null);
  }

  stop(): void {
    this.timers.stopAll();
  }

  get stats() {
    return { hosts: this.hosts.size, vms: this.vms.size, volumes: this.volumes.size, snapshots: this.snapshots.size, timers: this.timers.size };
  }

  // ---- regions and hosts ----------------------------------------------------------------

  listRegions(): Region[] {
    return [...this.regions].map((name) => ({ name }));
  }

  listHosts(region?: string): Host[] {
    const hosts = region ? (this.hostsByRegion.get(region) ?? []) : [...this.hosts.values()];
    return hosts.map(viewHost);
  }

  getHost(id: string): Host {
    return viewHost(this.host(id));
  }

  async addHosts(specs: NewHostSpec[]): Promise<Host[]> {
    const added: HostRecord[] = [];
    for (const s of specs) {
      const index = this.nextHostIndex;
      const h: HostRecord = {
        id: `host-${index}`,
        index,
        name: s.name ?? `${s.region}-hv${index}`,
        region: s.region,
        state: 'up',
        cpu: s.cpu,
        memoryMb: s.memoryMb,
        diskMb: s.diskMb,
        usedCpu: 0,
        usedMemoryMb: 0,
        usedDiskMb: 0,
        labels: { ...(s.labels ?? {}) },
      };
      if (!this.regions.has(h.region)) {
        this.regions.add(h.region);
        this.store.markRegion(h.region);
      }
      this.indexHost(h);
      this.store.markHost(h);
      added.push(h);
    }
    return this.commit(added.map(viewHost));
  }

  async setHostState(id: string, state: 'up' | 'down'): Promise<Host> {
    const host = this.host(id);
    if (host.state !== state) {
      host.state = state;
      this.store.markHost(host);
      if (state === 'down')
        for (const vmId of this.vmsByHost.get(id) ?? []) this.fail(this.vms.get(vmId)!, `host ${host.name} is down`);
    }
    return this.commit(viewHost(host));
  }

  // ---- VMs --------------------------------------------------------------------------------

  async createVm(req: CreateVmRequest): Promise<{ vm: Vm; created: boolean }> {
    const existing = this.vmTokens.get(req.clientToken);
    if (existing) return this.commit({ vm: viewVm(this.vms.get(existing)!), created: false });
    const need = { cpu: req.cpu, memoryMb: req.memoryMb, diskMb: req.diskMb };
    let host: HostRecord | null;
    if (req.hostId) {
      host = this.host(req.hostId);
      if (req.region && host.region !== req.region) throw invalid(`hostId: host ${host.id} is in region ${host.region}, not ${req.region}`);
      if (host.state !== 'up') throw capacity(`host ${host.name} is down`);
      if (!hasRoom(host, need)) throw capacity(`host ${host.name} has no room for ${describe(need)}`);
    } else {
      if (req.region && !this.regions.has(req.region)) throw notFound('region', req.region);
      host = chooseHost(req.region ? (this.hostsByRegion.get(req.region) ?? []) : this.hosts.values(), {
        ...need,
        requirements: req.requirements,
        rank: req.rank,
      });
      if (!host)
        throw capacity(
          `no host${req.region ? ` in ${req.region}` : ''} has room for ${describe(need)}` +
            (req.requirements && Object.keys(req.requirements).length ? ` matching ${JSON.stringify(req.requirements)}` : ''),
        );
    }
    const t = now();
    const vm: VmRecord = {
      id: newId('vm'),
      name: req.name,
      region: host.region,
      hostId: host.id,
      state: 'building',
      ...need,
      error: null,
      context: { ...(req.context ?? {}) },
      settings: { ...(req.settings ?? {}) },
      requirements: { ...(req.requirements ?? {}) },
      addresses: noAddresses(),
      createdAt: t,
      updatedAt: t,
      clientToken: req.clientToken,
      pendingState: null,
      transitionAt: null,
      leaseAt: null,
    };
    this.vms.set(vm.id, vm);
    this.vmTokens.set(vm.clientToken, vm.id);
    this.account(host, vm, +1);
    this.store.markHost(host);
    this.begin(vm, 'building', 'stopped');
    return this.commit({ vm: viewVm(vm), created: true });
  }

  getVm(id: string): Vm {
    return viewVm(this.vmRecord(id));
  }

  listVms(filter: { hostId?: string; state?: VmState; region?: string } = {}): Vm[] {
    const ids = filter.hostId ? (this.vmsByHost.get(filter.hostId) ?? new Set<string>()) : this.vms.keys();
    const out: Vm[] = [];
    for (const id of ids) {
      const vm = this.vms.get(id)!;
      // Deleted VMs are only listed when asked for by state.
      if (filter.state ? vm.state !== filter.state : vm.state === 'deleted') continue;
      if (filter.region && vm.region !== filter.region) continue;
      out.push(viewVm(vm));
    }
    return out;
  }

  async vmAction(id: string, action: VmAction, settings?: Record<string, string>): Promise<Vm> {
    const vm = this.liveVm(id);
    const plan = planVmAction(vm.state, action);
    if (plan.kind === 'conflict') throw conflict(`VM ${id}: ${plan.message}`);
    if (plan.kind === 'transition') {
      if (plan.to === 'starting') {
        const host = this.hosts.get(vm.hostId)!;
        if (host.state !== 'up') throw conflict(`VM ${id}: host ${host.name} is down`);
        this.releaseLease(vm);
        vm.error = null;
      }
      if (settings) vm.settings = { ...vm.settings, ...settings };
      this.begin(vm, plan.to, plan.then);
    } else if (settings && action === 'start') {
      // A no-op start still records settings, so a retried start carries them.
      vm.settings = { ...vm.settings, ...settings };
      this.touch(vm);
    }
    return this.commit(viewVm(vm));
  }

  async crashVm(id: string, reason = 'crashed'): Promise<Vm> {
    const vm = this.liveVm(id);
    this.fail(vm, reason);
    return this.commit(viewVm(vm));
  }

  async deleteVm(id: string): Promise<void> {
    const vm = this.vms.get(id);
    if (!vm || vm.state === 'deleted') return this.commit(undefined);
    this.cancelVmTimers(vm);
    this.releaseLease(vm);
    const host = this.hosts.get(vm.hostId);
    if (host) {
      this.account(host, vm, -1);
      this.store.markHost(host);
    }
    vm.state = 'deleted';
    vm.pendingState = null;
    vm.transitionAt = null;
    this.touch(vm);
    // Deleting a VM releases its volumes, like a cloud detaching them on instance termination.
    for (const vol of this.volumes.values()) {
      if (vol.state === 'deleted') continue;
      if (vol.vmId === id) {
        vol.vmId = null;
        if (vol.state === 'attached') vol.state = 'available';
        this.store.markVolume(vol);
      } else if (vol.attachTo === id) {
        vol.attachTo = null;
        if (vol.pendingState === 'attached') vol.pendingState = 'available';
        this.store.markVolume(vol);
      }
    }
    return this.commit(undefined);
  }

  async updateVm(id: string, changes: VmChanges): Promise<Vm> {
    const vm = this.liveVm(id);
    if (vm.state === 'building') throw conflict(`VM ${id}: cannot update a VM that is building`);
    if (changes.diskMb !== undefined && changes.diskMb < vm.diskMb)
      throw invalid(`diskMb: disks can only grow (current ${vm.diskMb} MB)`);
    const delta = {
      cpu: (changes.cpu ?? vm.cpu) - vm.cpu,
      memoryMb: (changes.memoryMb ?? vm.memoryMb) - vm.memoryMb,
      diskMb: (changes.diskMb ?? vm.diskMb) - vm.diskMb,
    };
    const host = this.hosts.get(vm.hostId)!;
    const grow = { cpu: Math.max(0, delta.cpu), memoryMb: Math.max(0, delta.memoryMb), diskMb: Math.max(0, delta.diskMb) };
    if ((grow.cpu || grow.memoryMb || grow.diskMb) && !hasRoom(host, grow))
      throw capacity(`host ${host.name} has no room to grow VM ${id} by ${describe(grow)}`);
    if (delta.cpu || delta.memoryMb || delta.diskMb) {
      this.account(host, vm, -1);
      vm.cpu += delta.cpu;
      vm.memoryMb += delta.memoryMb;
      vm.diskMb += delta.diskMb;
      this.account(host, vm, +1);
      this.store.markHost(host);
    }
    if (changes.name !== undefined) vm.name = changes.name;
    if (changes.context) vm.context = { ...vm.context, ...changes.context };
    this.touch(vm);
    return this.commit(viewVm(vm));
  }

  async migrateVm(id: string, req: MigrateVmRequest): Promise<Vm> {
    const vm = this.liveVm(id);
    if (vm.state !== 'running' && vm.state !== 'stopped' && vm.state !== 'error')
      throw conflict(`VM ${id}: cannot migrate a VM that is ${vm.state}`);
    const from = this.hosts.get(vm.hostId)!;
    const need = { cpu: vm.cpu, memoryMb: vm.memoryMb, diskMb: vm.diskMb };
    let to: HostRecord | null;
    if (req.hostId) {
      to = this.host(req.hostId);
      if (to === from) return this.commit(viewVm(vm));
      if (to.state !== 'up') throw capacity(`host ${to.name} is down`);
      if (!hasRoom(to, need)) throw capacity(`host ${to.name} has no room for ${describe(need)}`);
    } else {
      const requirements = req.requirements ?? vm.requirements;
      const candidates = (this.hostsByRegion.get(vm.region) ?? []).filter((h) => h !== from);
      to = chooseHost(candidates, { ...need, requirements, rank: req.rank });
      if (!to) throw capacity(`no other host in ${vm.region} has room for ${describe(need)}`);
    }
    this.account(from, vm, -1);
    this.account(to, vm, +1);
    vm.hostId = to.id;
    vm.region = to.region;
    this.store.markHost(from);
    this.store.markHost(to);
    this.touch(vm);
    return this.commit(viewVm(vm));
  }

  // ---- volumes ------------------------------------------------------------------------------

  async createVolume(req: CreateVolumeRequest): Promise<{ volume: Volume; created: boolean }> {
    const existing = this.volumeTokens.get(req.clientToken);
    if (existing) return this.commit({ volume: viewVolume(this.volumes.get(existing)!), created: false });
    let sizeMb = req.sizeMb;
    let format = req.format;
    let checksum: string | null = null;
    if (req.contentBase64 !== undefined) {
      if (req.sizeMb !== undefined) throw invalid('sizeMb: give either sizeMb or contentBase64, not both');
      const bytes = Buffer.from(req.contentBase64, 'base64');
      sizeMb = Math.max(1, Math.ceil(bytes.length / (1024 * 1024)));
      checksum = createHash('sha256').update(bytes).digest('hex');
      // qcow2 images start with 'QFI\xfb'.
      format ??= bytes.subarray(0, 4).equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
    }
    if (sizeMb === undefined) throw invalid('sizeMb: required unless contentBase64 is given');
    if (req.vmId) this.liveVm(req.vmId);
    const vol: VolumeRecord = {
      id: newId('vol'),
      name: req.name,
      vmId: null,
      sizeMb,
      format: format ?? 'raw',
      state: 'creating',
      createdAt: now(),
      clientToken: req.clientToken,
      attachTo: req.vmId ?? null,
      checksum,
      pendingState: null,
      transitionAt: null,
    };
    this.volumes.set(vol.id, vol);
    this.volumeTokens.set(vol.clientToken, vol.id);
    vol.pendingState = vol.attachTo ? 'attached' : 'available';
    vol.transitionAt = Date.now() + this.delay();
    this.armVolume(vol);
    this.store.markVolume(vol);
    return this.commit({ volume: viewVolume(vol), created: true });
  }

  getVolume(id: string): Volume {
    return viewVolume(this.volumeRecord(id));
  }

  listVolumes(filter: { vmId?: string } = {}): Volume[] {
    const out: Volume[] = [];
    for (const v of this.volumes.values()) {
      if (v.state === 'deleted' || (filter.vmId && v.vmId !== filter.vmId)) continue;
      out.push(viewVolume(v));
    }
    return out;
  }

  async attachVolume(id: string, vmId: string): Promise<Volume> {
    const vol = this.liveVolume(id);
    this.liveVm(vmId);
    if (vol.state === 'creating') throw conflict(`volume ${id} is still being created`);
    if (vol.state === 'attached') {
      if (vol.vmId === vmId) return this.commit(viewVolume(vol));
      throw conflict(`volume ${id} is attached to VM ${vol.vmId}`);
    }
    vol.state = 'attached';
    vol.vmId = vmId;
    this.store.markVolume(vol);
    return this.commit(viewVolume(vol));
  }

  async detachVolume(id: string): Promise<Volume> {
    const vol = this.liveVolume(id);
    if (vol.state === 'creating') throw conflict(`volume ${id} is still being created`);
    if (vol.state === 'attached') {
      vol.state = 'available';
      vol.vmId = null;
      this.store.markVolume(vol);
    }
    return this.commit(viewVolume(vol));
  }

  async deleteVolume(id: string): Promise<void> {
    const vol = this.volumes.get(id);
    if (!vol || vol.state === 'deleted') return this.commit(undefined);
    this.timers.cancel(`volume:${id}`);
    // Deleting an attached volume detaches it first: lenient, so compensations always succeed.
    Object.assign(vol, { state: 'deleted', vmId: null, attachTo: null, pendingState: null, transitionAt: null });
    this.store.markVolume(vol);
    return this.commit(undefined);
  }

  // ---- snapshots ----------------------------------------------------------------------------

  async createSnapshot(req: CreateSnapshotRequest): Promise<{ snapshot: Snapshot; created: boolean }> {
    const existing = this.snapshotTokens.get(req.clientToken);
    if (existing) return this.commit({ snapshot: viewSnapshot(this.snapshots.get(existing)!), created: false });
    const vm = this.liveVm(req.vmId);
    const volumes = [...this.volumes.values()].filter((v) => v.vmId === vm.id && v.state === 'attached').map((v) => v.id);
    const snap: SnapshotRecord = {
      id: newId('snap'),
      name: req.name,
      vmId: vm.id,
      state: 'creating',
      vm: { cpu: vm.cpu, memoryMb: vm.memoryMb, diskMb: vm.diskMb, volumes },
      createdAt: now(),
      clientToken: req.clientToken,
      pendingState: 'available',
      transitionAt: Date.now() + this.delay(),
    };
    this.snapshots.set(snap.id, snap);
    this.snapshotTokens.set(snap.clientToken, snap.id);
    this.armSnapshot(snap);
    this.store.markSnapshot(snap);
    return this.commit({ snapshot: viewSnapshot(snap), created: true });
  }

  getSnapshot(id: string): Snapshot {
    const s = this.snapshots.get(id);
    if (!s) throw notFound('snapshot', id);
    return viewSnapshot(s);
  }

  listSnapshots(filter: { vmId?: string } = {}): Snapshot[] {
    const out: Snapshot[] = [];
    for (const s of this.snapshots.values())
      if (s.state !== 'deleted' && (!filter.vmId || s.vmId === filter.vmId)) out.push(viewSnapshot(s));
    return out;
  }

  async deleteSnapshot(id: string): Promise<void> {
    const s = this.snapshots.get(id);
    if (!s || s.state === 'deleted') return this.commit(undefined);
    this.timers.cancel(`snapshot:${id}`);
    Object.assign(s, { state: 'deleted', pendingState: null, transitionAt: null });
    this.store.markSnapshot(s);
    return this.commit(undefined);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Waits for the group commit; a failed write surfaces as a retryable error (the retry is idempotent). */
  private async commit<T>(value: T): Promise<T> {
    try {
      await this.store.flush();
    } catch (err) {
      throw new SimError('unavailable', `simcloud could not persist the change: ${(err as Error).message}`);
    }
    return value;
  }

  /** Background writes (timers): nobody waits, a failure is logged and retried by the next round. */
  private persistLater(): void {
    this.store.flush().catch(() => {});
  }

  private delay(): number {
    return this.timing.transitionMs + Math.floor(this.jitterRng() * this.timing.jitterMs);
  }

  private indexHost(h: HostRecord): void {
    this.hosts.set(h.id, h);
    let list = this.hostsByRegion.get(h.region);
    if (!list) this.hostsByRegion.set(h.region, (list = []));
    list.push(h);
    this.nextHostIndex = Math.max(this.nextHostIndex, h.index + 1);
  }

  private account(host: HostRecord, vm: VmRecord, sign: 1 | -1): void {
    host.usedCpu += sign * vm.cpu;
    host.usedMemoryMb += sign * vm.memoryMb;
    host.usedDiskMb += sign * vm.diskMb;
    let set = this.vmsByHost.get(host.id);
    if (!set) this.vmsByHost.set(host.id, (set = new Set()));
    if (sign > 0) set.add(vm.id);
    else set.delete(vm.id);
  }

  private host(id: string): HostRecord {
    const h = this.hosts.get(id);
    if (!h) throw notFound('host', id);
    return h;
  }

  /** Deleted VMs stay readable (state 'deleted') so waiters see the end of a delete. */
  private vmRecord(id: string): VmRecord {
    const vm = this.vms.get(id);
    if (!vm) throw notFound('VM', id);
    return vm;
  }

  private liveVm(id: string): VmRecord {
    const vm = this.vms.get(id);
    if (!vm || vm.state === 'deleted') throw notFound('VM', id);
    return vm;
  }

  private volumeRecord(id: string): VolumeRecord {
    const v = this.volumes.get(id);
    if (!v) throw notFound('volume', id);
    return v;
  }

  private liveVolume(id: string): VolumeRecord {
    const v = this.volumes.get(id);
    if (!v || v.state === 'deleted') throw notFound('volume', id);
    return v;
  }

  private touch(vm: VmRecord): void {
    vm.updatedAt = now();
    this.store.markVm(vm);
  }

  /** Enters a transitional state and schedules the timer that finishes it. */
  private begin(vm: VmRecord, state: VmState, then: VmState): void {
    vm.state = state;
    vm.pendingState = then;
    vm.transitionAt = Date.now() + this.delay();
    this.touch(vm);
    this.armVm(vm);
  }

  private armVm(vm: VmRecord): void {
    if (vm.pendingState && vm.transitionAt !== null) this.timers.arm(`vm:${vm.id}`, vm.transitionAt, () => this.finishVm(vm.id));
    if (vm.leaseAt !== null) this.timers.arm(`lease:${vm.id}`, vm.leaseAt, () => this.lease(vm.id));
  }

  private finishVm(id: string): void {
    const vm = this.vms.get(id);
    if (!vm || !vm.pendingState || vm.state === 'deleted' || vm.state === 'error') return;
    const host = this.hosts.get(vm.hostId);
    const to = vm.pendingState;
    vm.pendingState = null;
    vm.transitionAt = null;
    if (host && host.state !== 'up' && to !== 'stopped') {
      this.fail(vm, `host ${host.name} is down`);
    } else {
      vm.state = to;
      if (to === 'running') {
        vm.leaseAt = Date.now() + this.timing.leaseDelayMs;
        this.timers.arm(`lease:${vm.id}`, vm.leaseAt, () => this.lease(vm.id));
      } else if (to === 'stopped') {
        vm.error = null;
        this.releaseLease(vm);
      }
      this.touch(vm);
    }
    this.persistLater();
  }

  private lease(id: string): void {
    const vm = this.vms.get(id);
    if (!vm || vm.leaseAt === null) return;
    vm.leaseAt = null;
    if (vm.state === 'running' && !vm.addresses.ipv4) {
      vm.addresses = this.addresses.allocate();
      this.store.markMeta('leaseCounter', this.addresses.position);
    }
    this.touch(vm);
    this.persistLater();
  }

  private releaseLease(vm: VmRecord): void {
    this.timers.cancel(`lease:${vm.id}`);
    vm.leaseAt = null;
    if (vm.addresses.ipv4 || vm.addresses.ipv6 || vm.addresses.external) {
      this.addresses.release(vm.addresses);
      vm.addresses = noAddresses();
    }
  }

  private cancelVmTimers(vm: VmRecord): void {
    this.timers.cancel(`vm:${vm.id}`);
    this.timers.cancel(`lease:${vm.id}`);
  }

  /** Crash: the VM keeps its host and capacity (it is still defined there) but stops running. */
  private fail(vm: VmRecord, reason: string): void {
    if (vm.state === 'deleted') return;
    this.cancelVmTimers(vm);
    this.releaseLease(vm);
    vm.state = 'error';
    vm.error = reason;
    vm.pendingState = null;
    vm.transitionAt = null;
    this.touch(vm);
  }

  private armVolume(v: VolumeRecord): void {
    if (!v.pendingState || v.transitionAt === null) return;
    this.timers.arm(`volume:${v.id}`, v.transitionAt, () => {
      if (v.state !== 'creating' || !v.pendingState) return;
      const target = v.attachTo ? this.vms.get(v.attachTo) : undefined;
      if (target && target.state !== 'deleted') {
        v.state = 'attached';
        v.vmId = target.id;
      } else v.state = 'available';
      Object.assign(v, { attachTo: null, pendingState: null, transitionAt: null });
      this.store.markVolume(v);
      this.persistLater();
    });
  }

  private armSnapshot(s: SnapshotRecord): void {
    if (!s.pendingState || s.transitionAt === null) return;
    this.timers.arm(`snapshot:${s.id}`, s.transitionAt, () => {
      if (s.state !== 'creating') return;
      Object.assign(s, { state: 'available', pendingState: null, transitionAt: null });
      this.store.markSnapshot(s);
      this.persistLater();
    });
  }
}

const describe = (n: { cpu: number; memoryMb: number; diskMb: number }) => `${n.cpu} cpu, ${n.memoryMb} MB memory, ${n.diskMb} MB disk`;

// Views copy the contract's fields only: internal bookkeeping never leaves the process.
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
    usedCpu: h.usedCpu,
    usedMemoryMb: h.usedMemoryMb,
    usedDiskMb: h.usedDiskMb,
    labels: { ...h.labels },
  };
}

export function viewVm(v: VmRecord): Vm {
  return {
    id: v.id,
    name: v.name,
    region: v.region,
    hostId: v.hostId,
    state: v.state,
    cpu: v.cpu,
    memoryMb: v.memoryMb,
    diskMb: v.diskMb,
    error: v.error,
    context: { ...v.context },
    settings: { ...v.settings },
    requirements: { ...v.requirements },
    addresses: { ...v.addresses },
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
}

export function viewVolume(v: VolumeRecord): Volume {
  return { id: v.id, name: v.name, vmId: v.vmId, sizeMb: v.sizeMb, format: v.format, state: v.state, createdAt: v.createdAt };
}

export function viewSnapshot(s: SnapshotRecord): Snapshot {
  return { id: s.id, name: s.name, vmId: s.vmId, state: s.state, vm: { ...s.vm, volumes: [...s.vm.volumes] }, createdAt: s.createdAt };
}
