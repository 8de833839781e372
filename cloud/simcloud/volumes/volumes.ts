import { createHash } from 'node:crypto';
import type { CreateVolumeRequest, Volume } from '../../contract';
import { conflict, invalid } from '../kernel/errors';
import type { Kernel } from '../kernel/kernel';
import { newId, now, Registry, viewOf, type PendingTransition } from '../kernel/records';
import { matchesLabel, type LabelSelector } from '../kernel/schema';
import type { VmRecord, Vms } from '../vms/vms';
import { volumeSchema } from './schema';

export interface VolumeRecord extends Volume, PendingTransition<'available' | 'attached'> {
  clientToken: string;
  /** Attach target remembered while the volume is still being created. */
  attachTo: string | null;
  checksum: string | null;
}

export const viewVolume = viewOf(volumeSchema);

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]); // 'QFI\xfb'

/** Volumes: created (from a size or uploaded content) after a delay, attached to and detached from VMs. */
export class Volumes {
  readonly records: Registry<VolumeRecord>;

  constructor(
    private readonly kernel: Kernel,
    private readonly vms: Vms,
  ) {
    this.records = new Registry('volume', kernel.store.table<VolumeRecord>({ name: 'volumes', columns: { client_token: "d->>'clientToken'" } }));
    vms.deleted.on((vm) => this.releaseFrom(vm));
  }

  restore(): void {
    for (const v of this.records.load()) {
      v.labels ??= {}; // saved before volumes had labels
      this.arm(v);
    }
  }

  async create(req: CreateVolumeRequest): Promise<{ volume: Volume; created: boolean }> {
    const existing = this.records.byClientToken(req.clientToken);
    if (existing) return this.kernel.commit({ volume: viewVolume(existing), created: false });
    let sizeMb = req.sizeMb;
    let format = req.format;
    let checksum: string | null = null;
    if (req.contentBase64 !== undefined) {
      if (req.sizeMb !== undefined) throw invalid('sizeMb: give either sizeMb or contentBase64, not both');
      const bytes = Buffer.from(req.contentBase64, 'base64');
      sizeMb = Math.max(1, Math.ceil(bytes.length / (1024 * 1024)));
      checksum = createHash('sha256').update(bytes).digest('hex');
      format ??= bytes.subarray(0, 4).equals(QCOW2_MAGIC) ? 'qcow2' : 'raw';
    }
    if (sizeMb === undefined) throw invalid('sizeMb: required unless contentBase64 is given');
    if (req.vmId) this.vms.records.live(req.vmId);
    const vol: VolumeRecord = {
      id: newId('vol'),
      name: req.name,
      vmId: null,
      sizeMb,
      format: format ?? 'raw',
      state: 'creating',
      labels: { ...req.labels },
      createdAt: now(),
      clientToken: req.clientToken,
      attachTo: req.vmId ?? null,
      checksum,
      pendingState: req.vmId ? 'attached' : 'available',
      transitionAt: Date.now() + this.kernel.delay(),
    };
    this.records.save(vol);
    this.arm(vol);
    return this.kernel.commit({ volume: viewVolume(vol), created: true });
  }

  get(id: string): Volume {
    return viewVolume(this.records.get(id));
  }

  /** A volume attached (or being attached) to a VM lives in the VM's region. */
  regionOf(id: string): string | undefined {
    const v = this.records.find(id);
    const vmId = v?.vmId ?? v?.attachTo;
    return vmId ? this.vms.regionOf(vmId) : undefined;
  }

  list(filter: { vmId?: string; label?: LabelSelector } = {}): Volume[] {
    const out: Volume[] = [];
    for (const v of this.records.liveValues()) if ((!filter.vmId || v.vmId === filter.vmId) && matchesLabel(v.labels, filter.label)) out.push(viewVolume(v));
    return out;
  }

  async attach(id: string, vmId: string): Promise<Volume> {
    const vol = this.records.live(id);
    this.vms.records.live(vmId);
    if (vol.state === 'creating') throw conflict(`volume ${id} is still being created`);
    if (vol.state === 'attached') {
      if (vol.vmId === vmId) return this.kernel.commit(viewVolume(vol));
      throw conflict(`volume ${id} is attached to VM ${vol.vmId}`);
    }
    Object.assign(vol, { state: 'attached', vmId });
    this.records.save(vol);
    return this.kernel.commit(viewVolume(vol));
  }

  async detach(id: string): Promise<Volume> {
    const vol = this.records.live(id);
    if (vol.state === 'creating') throw conflict(`volume ${id} is still being created`);
    if (vol.state === 'attached') {
      Object.assign(vol, { state: 'available', vmId: null });
      this.records.save(vol);
    }
    return this.kernel.commit(viewVolume(vol));
  }

  async delete(id: string): Promise<void> {
    const vol = this.records.find(id);
    if (!vol || vol.state === 'deleted') return this.kernel.commit(undefined);
    this.kernel.timers.cancel(`volume:${id}`);
    // Deleting an attached volume detaches it first: lenient, so compensations always succeed.
    Object.assign(vol, { state: 'deleted', vmId: null, attachTo: null, pendingState: null, transitionAt: null });
    this.records.save(vol);
    return this.kernel.commit(undefined);
  }

  /** Ids of the volumes attached to a VM now (for snapshots). */
  attachedTo(vmId: string): string[] {
    const ids: string[] = [];
    for (const v of this.records.liveValues()) if (v.vmId === vmId && v.state === 'attached') ids.push(v.id);
    return ids;
  }

  /** Deleting a VM releases its volumes, like a cloud detaching them on instance termination. */
  private releaseFrom(vm: VmRecord): void {
    for (const vol of this.records.liveValues()) {
      if (vol.vmId === vm.id) {
        vol.vmId = null;
        if (vol.state === 'attached') vol.state = 'available';
        this.records.save(vol);
      } else if (vol.attachTo === vm.id) {
        vol.attachTo = null;
        if (vol.pendingState === 'attached') vol.pendingState = 'available';
        this.records.save(vol);
      }
    }
  }

  private arm(v: VolumeRecord): void {
    if (!v.pendingState || v.transitionAt === null) return;
    this.kernel.timers.arm(`volume:${v.id}`, v.transitionAt, () => {
      if (v.state !== 'creating' || !v.pendingState) return;
      const target = v.attachTo ? this.vms.records.find(v.attachTo) : undefined;
      if (target && target.state !== 'deleted') Object.assign(v, { state: 'attached', vmId: target.id });
      else v.state = 'available';
      Object.assign(v, { attachTo: null, pendingState: null, transitionAt: null });
      this.records.save(v);
      this.kernel.persistLater();
    });
  }
}
