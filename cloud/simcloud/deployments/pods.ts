import type { LogChunk, Pod } from '../../contract';
import type { Faults } from '../chaos/faults';
import type { HostRecord, Hosts, Load } from '../hosts/hosts';
import { conflict } from '../kernel/errors';
import { Hook } from '../kernel/hook';
import { Ipv4Pool } from '../kernel/ipv4-pool';
import type { Kernel } from '../kernel/kernel';
import { readLog, type LogRequest } from '../kernel/log-read';
import { newId, now, randomHex, Registry, viewOf, type PendingTransition } from '../kernel/records';
import { podLog, type ContainerRun, type ContainerSpec } from './pod-log';
import { podSchema } from './schema';

export interface PodRecord extends Pod, PendingTransition<'running'> {
  /** Creation order within the deployment: scale-down removes the newest. */
  seq: number;
  /** The container's runs, from which the log is derived. */
  runs: ContainerRun[];
}

/** The pods' address range, 10.128.0.0/14 (the VMs' private pool is 10.0.0.0/9). */
const POD_RANGE = { first: 0x0a800002, size: 2 ** 18 - 4 };
/** Crash-loop backoff doubles per restart up to this many transition delays. */
const MAX_BACKOFF_FACTOR = 32;

export const viewPod = viewOf(podSchema);
export const podLoad = (p: { cpu: number; memoryMb: number }): Load => ({ milliCpu: Math.round(p.cpu * 1000), memoryMb: p.memoryMb, diskMb: 0 });
const isActive = (p: PodRecord) => p.state === 'pending' || p.state === 'running' || p.state === 'crashloop';

/**
 * Pods: placed by their deployment, then pending → running after a transition delay (unless a
 * 'startPod' fault fires: failed). A crash sends a running pod to crashloop and back to running
 * after a backoff (or to failed when permanent); a host going down fails the pods on it.
 */
export class Pods {
  readonly records: Registry<PodRecord>;
  /** A pod was deleted: what hangs off it (metrics) lets go. */
  readonly deleted = new Hook<PodRecord>();
  /** A pod changed state: its deployment's state may change with it. */
  readonly changed = new Hook<PodRecord>();
  private readonly addresses = new Ipv4Pool(POD_RANGE.first, POD_RANGE.size);
  /** Live pods per deployment id. */
  private readonly byDeployment = new Map<string, Set<PodRecord>>();

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: Hosts,
    private readonly faults: Faults,
    private readonly logIntervalMs: number,
    /** What a pod's container prints about itself (from its deployment). */
    private readonly specOf: (pod: PodRecord) => ContainerSpec,
  ) {
    this.records = new Registry('pod', kernel.store.table<PodRecord>({ name: 'pods' }));
  }

  restore(): void {
    this.addresses.resumeAt(this.kernel.store.getMeta<number>('podAddressCounter') ?? 0);
    for (const pod of this.records.load()) {
      if (pod.state === 'deleted') continue;
      const host = this.hosts.find(pod.hostId);
      if (host) this.hosts.account(host, pod.id, podLoad(pod), +1);
      if (pod.ipv4) this.addresses.claim(pod.ipv4);
      this.track(pod);
      this.arm(pod);
    }
  }

  /** Places a new pod of a deployment on a host (which the caller checked has room). */
  place(dep: { id: string; name: string; region: string; image: string; cpu: number; memoryMb: number }, host: HostRecord, seq: number): PodRecord {
    const pod: PodRecord = {
      id: newId('pod'),
      name: `${dep.name}-${randomHex(3).slice(0, 5)}`,
      deploymentId: dep.id,
      region: dep.region,
      hostId: host.id,
      state: 'pending',
      image: dep.image,
      cpu: dep.cpu,
      memoryMb: dep.memoryMb,
      ipv4: this.addresses.allocate(),
      restarts: 0,
      error: null,
      createdAt: now(),
      startedAt: null,
      seq,
      runs: [],
      pendingState: 'running',
      transitionAt: Date.now() + this.kernel.delay(),
    };
    this.kernel.store.setMeta('podAddressCounter', this.addresses.position);
    this.hosts.account(host, pod.id, podLoad(pod), +1);
    this.track(pod);
    this.records.save(pod);
    this.arm(pod);
    return pod;
  }

  /** Live pods of a deployment, oldest first. */
  ofDeployment(deploymentId: string): PodRecord[] {
    return [...(this.byDeployment.get(deploymentId) ?? [])].sort((a, b) => a.seq - b.seq);
  }

  list(filter: { deploymentId?: string; hostId?: string } = {}): Pod[] {
    const pods = filter.deploymentId ? this.ofDeployment(filter.deploymentId) : this.records.liveValues();
    const out: Pod[] = [];
    for (const p of pods) if (!filter.hostId || p.hostId === filter.hostId) out.push(viewPod(p));
    return out;
  }

  get(id: string): Pod {
    return viewPod(this.records.get(id));
  }

  regionOf(id: string): string | undefined {
    return this.records.find(id)?.region;
  }

  /** Deletes a pod: its capacity and address go back (the caller commits). */
  remove(pod: PodRecord, reason: string): void {
    if (pod.state === 'deleted') return;
    this.kernel.timers.cancel(`pod:${pod.id}`);
    this.endRun(pod, reason);
    const host = this.hosts.find(pod.hostId);
    if (host) this.hosts.account(host, pod.id, podLoad(pod), -1);
    if (pod.ipv4) this.addresses.release(pod.ipv4);
    Object.assign(pod, { state: 'deleted', ipv4: null, pendingState: null, transitionAt: null });
    this.untrack(pod);
    this.save(pod);
    this.deleted.emit(pod);
  }

  /** The container exits: crash-loop with a backoff, or failed when permanent. */
  async crash(id: string, reason: string, permanent: boolean): Promise<Pod> {
    const pod = this.records.live(id);
    if (pod.state === 'failed') throw conflict(`pod ${id} has failed: ${pod.error}`);
    if (permanent) this.fail(pod, reason);
    else {
      this.endRun(pod, reason);
      pod.restarts++;
      const backoff = this.kernel.delay() * Math.min(2 ** (pod.restarts - 1), MAX_BACKOFF_FACTOR);
      Object.assign(pod, { state: 'crashloop', error: reason, pendingState: 'running', transitionAt: Date.now() + backoff });
      this.arm(pod);
      this.save(pod);
    }
    return this.kernel.commit(viewPod(pod));
  }

  /** Host down: every active pod on it fails (the caller commits). */
  failOnHost(host: HostRecord): void {
    for (const id of host.occupants) {
      const pod = this.records.find(id);
      if (pod && isActive(pod)) this.fail(pod, `host ${host.name} is down`);
    }
  }

  readLog(id: string, read: LogRequest): Promise<LogChunk> {
    const pod = this.records.get(id);
    const spec = this.specOf(pod);
    const snapshot = () => podLog(spec, pod.runs, this.logIntervalMs, Date.now(), pod.state === 'failed' || pod.state === 'deleted');
    return readLog(snapshot, read, this.kernel.signals, `pod:${id}`);
  }

  private track(pod: PodRecord): void {
    let set = this.byDeployment.get(pod.deploymentId);
    if (!set) this.byDeployment.set(pod.deploymentId, (set = new Set()));
    set.add(pod);
  }

  private untrack(pod: PodRecord): void {
    const set = this.byDeployment.get(pod.deploymentId);
    set?.delete(pod);
    if (set?.size === 0) this.byDeployment.delete(pod.deploymentId);
  }

  private save(pod: PodRecord): void {
    this.records.save(pod);
    this.kernel.signals.notify(`pod:${pod.id}`);
    this.changed.emit(pod);
  }

  private arm(pod: PodRecord): void {
    if (pod.pendingState && pod.transitionAt !== null) this.kernel.timers.arm(`pod:${pod.id}`, pod.transitionAt, () => this.start(pod));
  }

  /** The transition timer: the container starts, unless its host is down or a 'startPod' fault fires. */
  private start(pod: PodRecord): void {
    if (!isActive(pod) || pod.pendingState !== 'running') return;
    const host = this.hosts.find(pod.hostId);
    const fault = host?.state === 'up' ? this.faults.draw('startPod', 'pod', pod.region) : null;
    if (host && host.state !== 'up') this.fail(pod, `host ${host.name} is down`);
    else if (fault?.mode === 'latency') {
      pod.transitionAt = Date.now() + (fault.latencyMs ?? 0);
      this.arm(pod);
      this.records.save(pod);
    } else if (fault) this.fail(pod, `injected fault (${fault.id}) on startPod`);
    else {
      const started = Date.now();
      pod.runs.push({ startedAt: started, endedAt: null, exit: null });
      Object.assign(pod, { state: 'running', error: null, startedAt: new Date(started).toISOString(), pendingState: null, transitionAt: null });
      this.save(pod);
    }
    this.kernel.persistLater();
  }

  private fail(pod: PodRecord, reason: string): void {
    this.kernel.timers.cancel(`pod:${pod.id}`);
    this.endRun(pod, reason);
    Object.assign(pod, { state: 'failed', error: reason, pendingState: null, transitionAt: null });
    this.save(pod);
  }

  private endRun(pod: PodRecord, reason: string): void {
    const run = pod.runs.at(-1);
    if (run && run.endedAt === null) Object.assign(run, { endedAt: Date.now(), exit: reason });
  }
}
