import type { CreateSnapshotRequest, Snapshot } from '../../contract';
import type { Kernel } from '../kernel/kernel';
import { newId, now, Registry, viewOf, type PendingTransition } from '../kernel/records';
import { matchesLabel, type LabelSelector } from '../kernel/schema';
import type { Vms } from '../vms/vms';
import type { Volumes } from '../volumes/volumes';
import { snapshotSchema } from './schema';

export interface SnapshotRecord extends Snapshot, PendingTransition<'available'> {
  clientToken: string;
}

export const viewSnapshot = viewOf(snapshotSchema);

/** Snapshots of a VM's shape and attached volumes, available after a delay. */
export class Snapshots {
  readonly records: Registry<SnapshotRecord>;

  constructor(
    private readonly kernel: Kernel,
    private readonly vms: Vms,
    private readonly volumes: Volumes,
  ) {
    this.records = new Registry('snapshot', kernel.store.table<SnapshotRecord>({ name: 'snapshots', columns: { client_token: "d->>'clientToken'" } }));
  }

  restore(): void {
    for (const s of this.records.load()) {
      s.labels ??= {}; // saved before snapshots had labels
      this.arm(s);
    }
  }

  async create(req: CreateSnapshotRequest): Promise<{ snapshot: Snapshot; created: boolean }> {
    const existing = this.records.byClientToken(req.clientToken);
    if (existing) return this.kernel.commit({ snapshot: viewSnapshot(existing), created: false });
    const vm = this.vms.records.live(req.vmId);
    const snap: SnapshotRecord = {
      id: newId('snap'),
      name: req.name,
      vmId: vm.id,
      state: 'creating',
      vm: { cpu: vm.cpu, memoryMb: vm.memoryMb, diskMb: vm.diskMb, volumes: this.volumes.attachedTo(vm.id) },
      labels: { ...req.labels },
      createdAt: now(),
      clientToken: req.clientToken,
      pendingState: 'available',
      transitionAt: Date.now() + this.kernel.delay(),
    };
    this.records.save(snap);
    this.arm(snap);
    return this.kernel.commit({ snapshot: viewSnapshot(snap), created: true });
  }

  get(id: string): Snapshot {
    return viewSnapshot(this.records.get(id));
  }

  /** A snapshot lives in its VM's region. */
  regionOf(id: string): string | undefined {
    const s = this.records.find(id);
    return s ? this.vms.regionOf(s.vmId) : undefined;
  }

  list(filter: { vmId?: string; label?: LabelSelector } = {}): Snapshot[] {
    const out: Snapshot[] = [];
    for (const s of this.records.liveValues()) if ((!filter.vmId || s.vmId === filter.vmId) && matchesLabel(s.labels, filter.label)) out.push(viewSnapshot(s));
    return out;
  }

  async delete(id: string): Promise<void> {
    const s = this.records.find(id);
    if (!s || s.state === 'deleted') return this.kernel.commit(undefined);
    this.kernel.timers.cancel(`snapshot:${id}`);
    Object.assign(s, { state: 'deleted', pendingState: null, transitionAt: null });
    this.records.save(s);
    return this.kernel.commit(undefined);
  }

  private arm(s: SnapshotRecord): void {
    if (!s.pendingState || s.transitionAt === null) return;
    this.kernel.timers.arm(`snapshot:${s.id}`, s.transitionAt, () => {
      if (s.state !== 'creating') return;
      Object.assign(s, { state: 'available', pendingState: null, transitionAt: null });
      this.records.save(s);
      this.kernel.persistLater();
    });
  }
}
