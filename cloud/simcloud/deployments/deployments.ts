import type { z } from 'zod';
import type { Deployment, DeploymentState, LogChunk, Pod, Service } from '../../contract';
import type { Faults } from '../chaos/faults';
import type { HostRecord, Hosts } from '../hosts/hosts';
import { placePods } from '../hosts/pod-placement';
import { capacity } from '../kernel/errors';
import { Ipv4Pool } from '../kernel/ipv4-pool';
import type { Kernel } from '../kernel/kernel';
import type { LogRequest } from '../kernel/log-read';
import { newId, now, Registry, viewOf } from '../kernel/records';
import { matchesLabel, type LabelSelector } from '../kernel/schema';
import { podLoad, Pods, type PodRecord } from './pods';
import { deploymentSchema, type createDeploymentBody } from './schema';

/** A validated create request (defaults applied). */
export type NewDeployment = z.infer<typeof createDeploymentBody>;

export interface DeploymentRecord extends Omit<Deployment, 'readyReplicas'> {
  clientToken: string;
  /** The seq of the next pod (pods are numbered in creation order). */
  nextPodSeq: number;
}

/** What placement needs of a deployment. */
type PlacementShape = Pick<DeploymentRecord, 'id' | 'cpu' | 'memoryMb' | 'requirements' | 'spreadGroup'>;

/** Service cluster IPs: 172.30.0.0/16. */
const SERVICE_RANGE = { first: 0xac1e0001, size: 2 ** 16 - 2 };

/**
 * Container deployments: placed all-or-nothing as pods on hosts with room (spread across hosts),
 * scaled up (all-or-nothing again) or down (newest pods first), exposed behind a service.
 * The deployment's state follows its pods: progressing, available (all running), degraded
 * (some failed or crash-looping).
 */
export class Deployments {
  readonly records: Registry<DeploymentRecord>;
  readonly pods: Pods;
  private readonly serviceAddresses = new Ipv4Pool(SERVICE_RANGE.first, SERVICE_RANGE.size);
  /** Live deployments per spread group. */
  private readonly spreadGroups = new Map<string, Set<DeploymentRecord>>();

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: Hosts,
    faults: Faults,
    podLogIntervalMs: number,
  ) {
    this.records = new Registry(
      'deployment',
      kernel.store.table<DeploymentRecord>({ name: 'deployments', columns: { client_token: "d->>'clientToken'" } }),
    );
    this.pods = new Pods(kernel, hosts, faults, podLogIntervalMs, (pod) => {
      const dep = this.records.get(pod.deploymentId);
      return { podName: pod.name, image: dep.image, command: dep.command, envKeys: dep.envKeys, ports: dep.ports };
    });
    this.pods.changed.on((pod) => {
      const dep = this.records.find(pod.deploymentId);
      if (dep) this.refresh(dep);
    });
  }

  restore(): void {
    this.serviceAddresses.resumeAt(this.kernel.store.getMeta<number>('serviceAddressCounter') ?? 0);
    for (const dep of this.records.load()) {
      dep.labels ??= {}; // saved before deployments had labels
      if (dep.state === 'deleted') continue;
      if (dep.service) this.serviceAddresses.claim(dep.service.clusterIp);
      this.joinSpreadGroup(dep);
    }
    this.pods.restore();
  }

  async create(req: NewDeployment): Promise<{ deployment: Deployment; created: boolean }> {
    const existing = this.records.byClientToken(req.clientToken);
    if (existing) return this.kernel.commit({ deployment: this.view(existing), created: false });
    if (req.region) this.hosts.requireRegion(req.region);
    const shape = { id: newId('dep'), name: req.name, cpu: req.cpu, memoryMb: req.memoryMb, requirements: { ...req.requirements }, spreadGroup: req.spreadGroup ?? null };
    const placement = this.placeInRegion(shape, req.region, req.replicas);
    if (!placement) throw capacity(`${req.region ? `region ${req.region} has no room` : 'no region has room'} for ${describe(req.replicas, req)}`);
    const t = now();
    const dep: DeploymentRecord = {
      ...shape,
      region: placement.region,
      state: 'progressing',
      image: req.image,
      replicas: req.replicas,
      ports: req.ports,
      envKeys: Object.keys(req.env).sort(),
      command: req.command ?? null,
      service: req.service ? this.expose(req.service, req.ports) : null,
      labels: { ...req.labels },
      createdAt: t,
      updatedAt: t,
      clientToken: req.clientToken,
      nextPodSeq: 0,
    };
    this.records.save(dep);
    this.joinSpreadGroup(dep);
    for (const host of placement.hosts) this.pods.place(dep, host, dep.nextPodSeq++);
    this.refresh(dep);
    return this.kernel.commit({ deployment: this.view(dep), created: true });
  }

  get(id: string): Deployment {
    return this.view(this.records.get(id));
  }

  regionOf(id: string): string | undefined {
    return this.records.find(id)?.region;
  }

  list(filter: { region?: string; spreadGroup?: string; label?: LabelSelector } = {}): Deployment[] {
    const out: Deployment[] = [];
    for (const d of this.records.liveValues())
      if (
        (!filter.region || d.region === filter.region) &&
        (!filter.spreadGroup || d.spreadGroup === filter.spreadGroup) &&
        matchesLabel(d.labels, filter.label)
      )
        out.push(this.view(d));
    return out;
  }

  /** Scale up places every new pod or none (capacity); scale down removes the newest pods. */
  async scale(id: string, replicas: number): Promise<Deployment> {
    const dep = this.records.live(id);
    const pods = this.pods.ofDeployment(id);
    if (replicas === dep.replicas && replicas === pods.length) return this.kernel.commit(this.view(dep));
    if (replicas > pods.length) {
      const hosts = this.place(dep, replicas - pods.length);
      if (!hosts) throw capacity(`region ${dep.region} has no room for ${describe(replicas - pods.length, dep)} more`);
      for (const host of hosts) this.pods.place(dep, host, dep.nextPodSeq++);
    } else for (const pod of pods.slice(replicas).reverse()) this.pods.remove(pod, 'terminated (scaled down)');
    Object.assign(dep, { replicas, updatedAt: now() });
    this.records.save(dep);
    this.refresh(dep);
    return this.kernel.commit(this.view(dep));
  }

  /** Idempotent: every pod's capacity and address go back, and the service's address. */
  async delete(id: string): Promise<void> {
    const dep = this.records.find(id);
    if (!dep || dep.state === 'deleted') return this.kernel.commit(undefined);
    for (const pod of this.pods.ofDeployment(id)) this.pods.remove(pod, 'terminated (deployment deleted)');
    if (dep.service) this.serviceAddresses.release(dep.service.clusterIp);
    if (dep.spreadGroup) this.spreadGroups.get(dep.spreadGroup)?.delete(dep);
    Object.assign(dep, { state: 'deleted', updatedAt: now() });
    this.records.save(dep);
    return this.kernel.commit(undefined);
  }

  listPods(filter: { deploymentId?: string; hostId?: string }): Pod[] {
    return this.pods.list(filter);
  }

  readPodLog(id: string, read: LogRequest): Promise<LogChunk> {
    return this.pods.readLog(id, read);
  }

  /** Places a new deployment in its region or, without one, in the first region (in creation order) where every replica fits. */
  private placeInRegion(shape: PlacementShape, region: string | undefined, replicas: number): { region: string; hosts: HostRecord[] } | null {
    for (const r of region ? [region] : this.hosts.regionNames()) {
      const hosts = this.place({ ...shape, region: r }, replicas);
      if (hosts) return { region: r, hosts };
    }
    return null;
  }

  /**
   * Hosts for `count` more pods of a deployment, spread away from its own pods and those of its
   * spread group; null when they do not all fit.
   */
  private place(dep: PlacementShape & { region: string }, count: number): HostRecord[] | null {
    const group = new Set<string>([dep.id]);
    if (dep.spreadGroup) for (const other of this.spreadGroups.get(dep.spreadGroup) ?? []) group.add(other.id);
    const colocated = new Map<string, number>();
    for (const id of group) for (const pod of this.pods.ofDeployment(id)) colocated.set(pod.hostId, (colocated.get(pod.hostId) ?? 0) + 1);
    return placePods(this.hosts.candidates(dep.region), { count, load: podLoad(dep), requirements: dep.requirements, colocated });
  }

  /** A service in front of the pods: a stable in-cluster name and address, and the external route asked for. */
  private expose(service: NonNullable<NewDeployment['service']>, ports: Service['ports']): Service {
    const clusterIp = this.serviceAddresses.allocate();
    this.kernel.store.setMeta('serviceAddressCounter', this.serviceAddresses.position);
    const { name, namespace } = service;
    return { name, namespace, dnsName: `${name}.${namespace}.svc.cluster.local`, clusterIp, ports, routeHost: service.routeHost ?? null };
  }

  private joinSpreadGroup(dep: DeploymentRecord): void {
    if (!dep.spreadGroup) return;
    let set = this.spreadGroups.get(dep.spreadGroup);
    if (!set) this.spreadGroups.set(dep.spreadGroup, (set = new Set()));
    set.add(dep);
  }

  /** Recomputes the state from the pods; saves when it changed. */
  private refresh(dep: DeploymentRecord): void {
    if (dep.state === 'deleted') return;
    const state = stateOf(dep.replicas, this.pods.ofDeployment(dep.id));
    if (state !== dep.state) {
      Object.assign(dep, { state, updatedAt: now() });
      this.records.save(dep);
    }
  }

  private view(dep: DeploymentRecord): Deployment {
    const pods = dep.state === 'deleted' ? [] : this.pods.ofDeployment(dep.id);
    return { ...viewFields(dep), readyReplicas: pods.filter((p) => p.state === 'running').length };
  }
}

const viewFields = viewOf(deploymentSchema.omit({ readyReplicas: true }));

export function stateOf(replicas: number, pods: readonly Pick<PodRecord, 'state'>[]): DeploymentState {
  if (pods.some((p) => p.state === 'failed' || p.state === 'crashloop')) return 'degraded';
  if (pods.filter((p) => p.state === 'running').length >= replicas) return 'available';
  return 'progressing';
}

const describe = (replicas: number, d: { name: string; cpu: number; memoryMb: number }) =>
  `${replicas} replica(s) of ${d.name} (${d.cpu} cpu, ${d.memoryMb} MB memory each)`;
