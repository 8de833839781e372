import type { CreateVmRequest, MigrateVmRequest, Vm, VmState } from '../../contract';
import type { z } from 'zod';
import type { HostRecord, Hosts, Load } from '../hosts/hosts';
import { chooseHost, hasRoom } from '../hosts/placement';
import { capacity, conflict, invalid } from '../kernel/errors';
import { Hook } from '../kernel/hook';
import type { Kernel } from '../kernel/kernel';
import { newId, now, Registry, viewOf, type PendingTransition } from '../kernel/records';
import { noAddresses, VmAddresses } from './addresses';
import { planVmAction, type VmAction } from './lifecycle';
import { vmSchema, type updateVmBody } from './schema';

export interface VmRecord extends Vm, PendingTransition<VmState> {
  clientToken: string;
  /** Epoch ms at which the DHCP lease appears (only while running without addresses). */
  leaseAt: number | null;
}

export type VmChanges = z.infer<typeof updateVmBody>;

export const viewVm = viewOf(vmSchema);

const loadOf = (v: { cpu: number; memoryMb: number; diskMb: number }): Load => ({ milliCpu: v.cpu * 1000, memoryMb: v.memoryMb, diskMb: v.diskMb });
const describe = (n: { cpu: number; memoryMb: number; diskMb: number }) => `${n.cpu} cpu, ${n.memoryMb} MB memory, ${n.diskMb} MB disk`;

/** VMs: placement on hosts, the lifecycle timers, DHCP leases, resize and migration. */
export class Vms {
  readonly records: Registry<VmRecord>;
  /** A VM was deleted: what hangs off it (volumes, metrics) lets go. */
  readonly deleted = new Hook<VmRecord>();
  private readonly addresses: VmAddresses;
  private readonly leaseDelayMs: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: Hosts,
    opts: { leaseDelayMs: number },
  ) {
    this.records = new Registry('VM', kernel.store.table<VmRecord>({ name: 'vms', columns: { client_token: "d->>'clientToken'" } }));
    this.addresses = new VmAddresses(kernel.store);
    this.leaseDelayMs = opts.leaseDelayMs;
  }

  /** Re-accounts capacity and addresses, and re-arms every pending transition at its persisted time. */
  restore(): void {
    this.addresses.restore();
    for (const vm of this.records.load()) {
      if (vm.state === 'deleted') continue;
      const host = this.hosts.find(vm.hostId);
      if (host) this.hosts.account(host, vm.id, loadOf(vm), +1);
      this.addresses.claim(vm.addresses);
      this.arm(vm);
    }
  }

  async create(req: CreateVmRequest): Promise<{ vm: Vm; created: boolean }> {
    const existing = this.records.byClientToken(req.clientToken);
    if (existing) return this.kernel.commit({ vm: viewVm(existing), created: false });
    const need = { cpu: req.cpu, memoryMb: req.memoryMb, diskMb: req.diskMb };
    let host: HostRecord | null;
    if (req.hostId) {
      host = this.hosts.get(req.hostId);
      if (req.region && host.region !== req.region) throw invalid(`hostId: host ${host.id} is in region ${host.region}, not ${req.region}`);
      if (host.state !== 'up') throw capacity(`host ${host.name} is down`);
      if (!hasRoom(host, loadOf(need))) throw capacity(`host ${host.name} has no room for ${describe(need)}`);
    } else {
      if (req.region) this.hosts.requireRegion(req.region);
      host = chooseHost(this.hosts.candidates(req.region), loadOf(need), req);
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
      context: { ...req.context },
      settings: { ...req.settings },
      requirements: { ...req.requirements },
      addresses: noAddresses(),
      createdAt: t,
      updatedAt: t,
      clientToken: req.clientToken,
      pendingState: null,
      transitionAt: null,
      leaseAt: null,
    };
    this.hosts.account(host, vm.id, loadOf(vm), +1);
    this.begin(vm, 'building', 'stopped');
    return this.kernel.commit({ vm: viewVm(vm), created: true });
  }

  get(id: string): Vm {
    return viewVm(this.records.get(id));
  }

  /** The region a VM lives in (for region-targeted faults). */
  regionOf(id: string): string | undefined {
    return this.records.find(id)?.region;
  }

  list(filter: { hostId?: string; state?: VmState; region?: string } = {}): Vm[] {
    const out: Vm[] = [];
    for (const vm of this.records.values()) {
      // Deleted VMs are only listed when asked for by state.
      if (filter.state ? vm.state !== filter.state : vm.state === 'deleted') continue;
      if (filter.hostId && vm.hostId !== filter.hostId) continue;
      if (filter.region && vm.region !== filter.region) continue;
      out.push(viewVm(vm));
    }
    return out;
  }

  async act(id: string, action: VmAction, settings?: Record<string, string>): Promise<Vm> {
    const vm = this.records.live(id);
    const plan = planVmAction(vm.state, action);
    if (plan.kind === 'conflict') throw conflict(`VM ${id}: ${plan.message}`);
    if (plan.kind === 'transition') {
      if (plan.to === 'starting') {
        const host = this.hosts.get(vm.hostId);
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
    return this.kernel.commit(viewVm(vm));
  }

  async crash(id: string, reason: string): Promise<Vm> {
    const vm = this.records.live(id);
    this.fail(vm, reason);
    return this.kernel.commit(viewVm(vm));
  }

  /** Host down: every VM on it goes to error (the caller commits). */
  failOnHost(host: HostRecord): void {
    for (const id of host.occupants) {
      const vm = this.records.find(id);
      if (vm) this.fail(vm, `host ${host.name} is down`);
    }
  }

  async delete(id: string): Promise<void> {
    const vm = this.records.find(id);
    if (!vm || vm.state === 'deleted') return this.kernel.commit(undefined);
    this.kernel.timers.cancel(`vm:${vm.id}`);
    this.releaseLease(vm);
    const host = this.hosts.find(vm.hostId);
    if (host) this.hosts.account(host, vm.id, loadOf(vm), -1);
    Object.assign(vm, { state: 'deleted', pendingState: null, transitionAt: null });
    this.touch(vm);
    this.deleted.emit(vm);
    return this.kernel.commit(undefined);
  }

  async update(id: string, changes: VmChanges): Promise<Vm> {
    const vm = this.records.live(id);
    if (vm.state === 'building') throw conflict(`VM ${id}: cannot update a VM that is building`);
    if (changes.diskMb !== undefined && changes.diskMb < vm.diskMb) throw invalid(`diskMb: disks can only grow (current ${vm.diskMb} MB)`);
    const delta = {
      cpu: (changes.cpu ?? vm.cpu) - vm.cpu,
      memoryMb: (changes.memoryMb ?? vm.memoryMb) - vm.memoryMb,
      diskMb: (changes.diskMb ?? vm.diskMb) - vm.diskMb,
    };
    const host = this.hosts.get(vm.hostId);
    const grow = { cpu: Math.max(0, delta.cpu), memoryMb: Math.max(0, delta.memoryMb), diskMb: Math.max(0, delta.diskMb) };
    if ((grow.cpu || grow.memoryMb || grow.diskMb) && !hasRoom(host, loadOf(grow)))
      throw capacity(`host ${host.name} has no room to grow VM ${id} by ${describe(grow)}`);
    if (delta.cpu || delta.memoryMb || delta.diskMb) {
      this.hosts.account(host, vm.id, loadOf(vm), -1);
      vm.cpu += delta.cpu;
      vm.memoryMb += delta.memoryMb;
      vm.diskMb += delta.diskMb;
      this.hosts.account(host, vm.id, loadOf(vm), +1);
    }
    if (changes.name !== undefined) vm.name = changes.name;
    if (changes.context) vm.context = { ...vm.context, ...changes.context };
    this.touch(vm);
    return this.kernel.commit(viewVm(vm));
  }

  async migrate(id: string, req: MigrateVmRequest): Promise<Vm> {
    const vm = this.records.live(id);
    if (vm.state !== 'running' && vm.state !== 'stopped' && vm.state !== 'error') throw conflict(`VM ${id}: cannot migrate a VM that is ${vm.state}`);
    const from = this.hosts.get(vm.hostId);
    const need = loadOf(vm);
    let to: HostRecord | null;
    if (req.hostId) {
      to = this.hosts.get(req.hostId);
      if (to === from) return this.kernel.commit(viewVm(vm));
      if (to.state !== 'up') throw capacity(`host ${to.name} is down`);
      if (!hasRoom(to, need)) throw capacity(`host ${to.name} has no room for ${describe(vm)}`);
    } else {
      const candidates = [...this.hosts.candidates(vm.region)].filter((h) => h !== from);
      to = chooseHost(candidates, need, { requirements: req.requirements ?? vm.requirements, rank: req.rank });
      if (!to) throw capacity(`no other host in ${vm.region} has room for ${describe(vm)}`);
    }
    this.hosts.account(from, vm.id, need, -1);
    this.hosts.account(to, vm.id, need, +1);
    vm.hostId = to.id;
    vm.region = to.region;
    this.touch(vm);
    return this.kernel.commit(viewVm(vm));
  }

  // ---- timers

  private touch(vm: VmRecord): void {
    vm.updatedAt = now();
    this.records.save(vm);
  }

  /** Enters a transitional state and schedules the timer that finishes it. */
  private begin(vm: VmRecord, state: VmState, then: VmState): void {
    vm.state = state;
    vm.pendingState = then;
    vm.transitionAt = Date.now() + this.kernel.delay();
    this.touch(vm);
    this.arm(vm);
  }

  private arm(vm: VmRecord): void {
    if (vm.pendingState && vm.transitionAt !== null) this.kernel.timers.arm(`vm:${vm.id}`, vm.transitionAt, () => this.finish(vm));
    if (vm.leaseAt !== null) this.kernel.timers.arm(`lease:${vm.id}`, vm.leaseAt, () => this.lease(vm));
  }

  private finish(vm: VmRecord): void {
    if (!vm.pendingState || vm.state === 'deleted' || vm.state === 'error') return;
    const host = this.hosts.find(vm.hostId);
    const to = vm.pendingState;
    vm.pendingState = null;
    vm.transitionAt = null;
    if (host && host.state !== 'up' && to !== 'stopped') {
      this.fail(vm, `host ${host.name} is down`);
    } else {
      vm.state = to;
      if (to === 'running') {
        vm.leaseAt = Date.now() + this.leaseDelayMs;
        this.arm(vm);
      } else if (to === 'stopped') {
        vm.error = null;
        this.releaseLease(vm);
      }
      this.touch(vm);
    }
    this.kernel.persistLater();
  }

  private lease(vm: VmRecord): void {
    if (vm.leaseAt === null) return;
    vm.leaseAt = null;
    if (vm.state === 'running' && !vm.addresses.ipv4) vm.addresses = this.addresses.lease();
    this.touch(vm);
    this.kernel.persistLater();
  }

  private releaseLease(vm: VmRecord): void {
    this.kernel.timers.cancel(`lease:${vm.id}`);
    vm.leaseAt = null;
    if (vm.addresses.ipv4 || vm.addresses.ipv6 || vm.addresses.external) {
      this.addresses.release(vm.addresses);
      vm.addresses = noAddresses();
    }
  }

  /** Crash: the VM keeps its host and capacity (it is still defined there) but stops running. */
  private fail(vm: VmRecord, reason: string): void {
    if (vm.state === 'deleted') return;
    this.kernel.timers.cancel(`vm:${vm.id}`);
    this.releaseLease(vm);
    Object.assign(vm, { state: 'error', error: reason, pendingState: null, transitionAt: null });
    this.touch(vm);
  }
}
