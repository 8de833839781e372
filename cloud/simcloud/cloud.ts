import type { Logger } from 'pino';
import { Faults } from './chaos/faults';
import { Builds, type BuildOptions } from './builds/builds';
import { BuildWorkspace } from './builds/workspace';
import { Deployments } from './deployments/deployments';
import { Flavors } from './flavors/flavors';
import { Hosts } from './hosts/hosts';
import { Kernel, type TransitionTiming } from './kernel/kernel';
import { randomHex } from './kernel/records';
import { mulberry32 } from './kernel/rng';
import type { Store } from './kernel/store';
import type { Health } from './health';
import { Metrics } from './metrics/metrics';
import { Snapshots } from './snapshots/snapshots';
import { Vms } from './vms/vms';
import { Volumes } from './volumes/volumes';

export interface CloudOptions extends TransitionTiming {
  /** Time from 'running' to a VM's DHCP lease (addresses). */
  leaseDelayMs: number;
  /** A pod's container writes a log line this often while it runs. */
  podLogIntervalMs: number;
  builds: BuildOptions;
  /** Makes fault draws and jitter repeatable. */
  seed: number;
}

/** Jitter draws from their own stream, so adding a fault rule does not change delays. */
const jitterRng = (seed: number) => mulberry32(seed ^ 0x5eed);

/**
 * Every resource module over one kernel, wired together: what depends on what is visible here
 * (VMs and pods on hosts, volumes and snapshots on VMs, metrics on VMs and pods).
 */
export class Cloud {
  readonly kernel: Kernel;
  readonly faults: Faults;
  readonly hosts: Hosts;
  readonly vms: Vms;
  readonly volumes: Volumes;
  readonly snapshots: Snapshots;
  readonly deployments: Deployments;
  readonly flavors: Flavors;
  readonly metrics: Metrics;
  readonly builds: Builds;

  constructor(
    private readonly store: Store,
    options: CloudOptions,
    logger: Logger,
  ) {
    this.kernel = new Kernel(store, options, jitterRng(options.seed), logger);
    this.faults = new Faults(options.seed);
    this.hosts = new Hosts(this.kernel);
    this.vms = new Vms(this.kernel, this.hosts, options);
    this.volumes = new Volumes(this.kernel, this.vms);
    this.snapshots = new Snapshots(this.kernel, this.vms, this.volumes);
    this.deployments = new Deployments(this.kernel, this.hosts, this.faults, options.podLogIntervalMs);
    this.flavors = new Flavors(this.kernel, this.hosts);
    this.builds = new Builds(this.kernel, options.builds);
    this.metrics = new Metrics(this.kernel, (id) => this.vms.records.isLive(id) || this.deployments.pods.records.isLive(id));
    this.vms.deleted.on((vm) => this.metrics.drop(vm.id));
    this.deployments.pods.deleted.on((pod) => this.metrics.drop(pod.id));
  }

  /** Loads Postgres into memory; capacity is re-accounted and pending transitions re-armed. */
  async restore(): Promise<void> {
    await this.store.load();
    this.hosts.restore();
    this.vms.restore();
    this.volumes.restore();
    this.snapshots.restore();
    this.deployments.restore();
    this.flavors.restore();
    this.metrics.restore();
    // Names what belongs to this simcloud outside Postgres (its build workspace).
    let instanceId = this.store.getMeta<string>('instanceId');
    if (!instanceId) this.store.setMeta('instanceId', (instanceId = randomHex(6)));
    await this.builds.restore(new BuildWorkspace(instanceId));
    await this.kernel.commit(undefined);
  }

  get isInitialized(): boolean {
    return this.store.getMeta<boolean>('initialized') === true;
  }

  async markInitialized(): Promise<void> {
    this.store.setMeta('initialized', true);
    await this.kernel.commit(undefined);
  }

  reseed(seed: number): void {
    this.faults.setSeed(seed);
    this.kernel.setJitterRng(jitterRng(seed));
  }

  /** Live counts: deleted objects are left out, so "nothing leaked" can be read off them. */
  health(): Health {
    const used = this.hosts.used();
    return {
      ok: true,
      hosts: this.hosts.count,
      regions: this.hosts.regionCount,
      vms: this.vms.records.countLive(),
      volumes: this.volumes.records.countLive(),
      snapshots: this.snapshots.records.countLive(),
      deployments: this.deployments.records.countLive(),
      pods: this.deployments.pods.records.countLive(),
      builds: this.builds.count,
      flavors: this.flavors.count,
      usedCpu: used.milliCpu / 1000,
      usedMemoryMb: used.memoryMb,
      timers: this.kernel.timers.size,
    };
  }

  /** Stops builds (their clones are removed), timers and long-polls; pending transitions stay persisted. */
  async shutdown(): Promise<void> {
    await this.builds.shutdown();
    this.kernel.stop();
    await this.store.drain();
  }
}
