/**
 * The cloud backend contract. Activities reach the cloud only through this interface; simcloud
 * (cloud/simcloud) is the default implementation, reached over HTTP by cloud/simcloud-client.ts.
 * Another backend (OpenStack, OpenNebula, Kubernetes) is one more implementation of it.
 *
 * Every create takes a clientToken: calling it again with the same token returns the object
 * created the first time (even if the first reply was lost), so retries never duplicate.
 */

import type { z } from 'zod';
import type { buildSchema, createBuildBody, imageSchema } from './simcloud/builds/schema';
import type {
  createDeploymentBody,
  deploymentSchema,
  podSchema,
  serviceSchema,
} from './simcloud/deployments/schema';
import type { logChunkSchema } from './simcloud/kernel/schema';
import type { createRegionFlavorBody, regionFlavorSchema } from './simcloud/flavors/schema';
import type { hostSchema, regionSchema } from './simcloud/hosts/schema';
import type { metricValuesSchema } from './simcloud/metrics/schema';
import type { createSnapshotBody, snapshotSchema } from './simcloud/snapshots/schema';
import type { createVmBody, migrateVmBody, updateVmBody, vmSchema } from './simcloud/vms/schema';
import type { createVolumeBody, volumeSchema } from './simcloud/volumes/schema';

// Every type below comes from the zod schema simcloud validates or answers with (one source):
// cloud/simcloud/<resource>/schema.ts, where each field is documented.

// ---- regions and hosts

export type Region = z.infer<typeof regionSchema>;
export type Host = z.infer<typeof hostSchema>;
export type HostState = Host['state'];

// ---- VMs, volumes, snapshots

export type Vm = z.infer<typeof vmSchema>;
export type VmState = Vm['state'];
export type CreateVmRequest = z.input<typeof createVmBody>;
/** Live resize within the host's free capacity (disks only grow); rename; merge context. */
export type VmChanges = z.input<typeof updateVmBody>;
export type MigrateVmRequest = z.input<typeof migrateVmBody>;

export type Volume = z.infer<typeof volumeSchema>;
export type VolumeState = Volume['state'];
export type CreateVolumeRequest = z.input<typeof createVolumeBody>;

export type Snapshot = z.infer<typeof snapshotSchema>;
export type SnapshotState = Snapshot['state'];
export type CreateSnapshotRequest = z.input<typeof createSnapshotBody>;
/** Which volumes a listing answers; `label` as for deployments (DeploymentFilter). */
export interface VolumeFilter {
  vmId?: string;
  label?: string;
}
/** Which snapshots a listing answers; `label` as for deployments (DeploymentFilter). */
export interface SnapshotFilter {
  vmId?: string;
  label?: string;
}

export interface VmDisk {
  name: string;
  sizeMb: number;
}

// ---- containers: deployments, pods, services

export type CreateDeploymentRequest = z.input<typeof createDeploymentBody>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentState = Deployment['state'];
export type Pod = z.infer<typeof podSchema>;
export type PodState = Pod['state'];
export type Service = z.infer<typeof serviceSchema>;
/**
 * Which deployments a listing answers. `label` is `KEY=VALUE` (that label with that value) or
 * `KEY` (that label, any value): e.g. the platform's ownership mark (lib/inventory.ts).
 */
export interface DeploymentFilter {
  region?: string;
  spreadGroup?: string;
  label?: string;
}
/** Lines of a build or pod log from an offset; `done` once no line will follow. */
export type LogChunk = z.infer<typeof logChunkSchema>;
export interface LogRead {
  offset?: number;
  limit?: number;
  /** Long-poll: wait up to this long for a line past `offset` while the source is live. */
  waitMs?: number;
}

// ---- builds

export type CreateBuildRequest = z.input<typeof createBuildBody>;
export type Build = z.infer<typeof buildSchema>;
export type BuildState = Build['state'];
export type Image = z.infer<typeof imageSchema>;
/** Which builds a listing answers; `label` as for deployments. */
export interface BuildFilter {
  label?: string;
}

// ---- region flavor catalogs

export type CreateRegionFlavorRequest = z.input<typeof createRegionFlavorBody>;
export type RegionFlavor = z.infer<typeof regionFlavorSchema>;
/** Where a region's compute service answers and the credentials it accepts. */
export interface RegionEndpoint {
  /** Base URL of the cloud (for simcloud, its URL: the "keystone_url" of an infrastructure). */
  url: string;
  region: string;
  username: string;
  password: string;
}

/** A region's own flavor catalog, reached with that region's credentials. */
export interface RegionFlavorCatalog {
  /** Resolves when the region accepts the credentials; CloudError 'unauthorized' otherwise. */
  verifyCredentials(): Promise<void>;
  listFlavors(): Promise<RegionFlavor[]>;
  getFlavor(id: string): Promise<RegionFlavor>;
  /** Idempotent for a caller-chosen id; another flavor with the same name → CloudError 'exists'. */
  createFlavor(req: CreateRegionFlavorRequest): Promise<RegionFlavor>;
  /** Idempotent: deleting an unknown flavor succeeds. */
  deleteFlavor(id: string): Promise<void>;
}

// ---- load metrics

/** Metric values of one VM or pod: `cpu` percent and `capacity` points; unset metrics read 0. */
export type MetricValues = z.infer<typeof metricValuesSchema>;

/** Error codes a backend reports; `retryable` says whether trying again can succeed. */
export type CloudErrorCode =
  | 'capacity' // no host has room (or the asked-for host has none): not retryable
  | 'not_found' // the object does not exist: not retryable
  | 'invalid' // the request is malformed or breaks a rule: not retryable
  | 'conflict' // the object is in a state that forbids this now (e.g. start while building): retryable later
  | 'exists' // another object already has this name: not retryable
  | 'unauthorized' // credentials missing or rejected (401/403): not retryable
  | 'unavailable'; // backend fault, timeout, 5xx, lost response: retryable

export class CloudError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CloudError';
  }
  get retryable(): boolean {
    return this.code === 'conflict' || this.code === 'unavailable';
  }
}

export interface CloudBackend {
  listRegions(): Promise<Region[]>;
  listHosts(filter?: { region?: string }): Promise<Host[]>;
  getHost(id: string): Promise<Host>;

  createVm(req: CreateVmRequest): Promise<Vm>;
  getVm(id: string): Promise<Vm>;
  listVms(filter?: { hostId?: string; state?: VmState }): Promise<Vm[]>;
  /** Idempotent: starting a running (or starting) VM is a no-op returning it. */
  startVm(id: string, settings?: Record<string, string>): Promise<Vm>;
  /** Idempotent: stopping a stopped (or stopping) VM is a no-op returning it. */
  stopVm(id: string): Promise<Vm>;
  /** Restart a VM in 'error' on its host (or a crashed one): moves it to starting. */
  rebootVm(id: string): Promise<Vm>;
  /** Idempotent: deleting a deleted or unknown VM succeeds. Releases its attached volumes. */
  deleteVm(id: string): Promise<void>;
  /** Live resize within the host's free capacity; rename when name is given. */
  updateVm(id: string, changes: VmChanges): Promise<Vm>;
  migrateVm(id: string, req: MigrateVmRequest): Promise<Vm>;

  createVolume(req: CreateVolumeRequest): Promise<Volume>;
  getVolume(id: string): Promise<Volume>;
  /** Volumes not deleted. */
  listVolumes(filter?: VolumeFilter): Promise<Volume[]>;
  attachVolume(id: string, vmId: string): Promise<Volume>;
  detachVolume(id: string): Promise<Volume>;
  /** Idempotent: deleting a deleted or unknown volume succeeds. */
  deleteVolume(id: string): Promise<void>;

  createSnapshot(req: CreateSnapshotRequest): Promise<Snapshot>;
  getSnapshot(id: string): Promise<Snapshot>;
  /** Snapshots not deleted. */
  listSnapshots(filter?: SnapshotFilter): Promise<Snapshot[]>;
  /** Idempotent. */
  deleteSnapshot(id: string): Promise<void>;

  /**
   * Places `replicas` pods on hosts with room (all or none: a deployment that cannot be fully
   * placed fails with 'capacity' and places nothing). Pods go pending → running.
   */
  createDeployment(req: CreateDeploymentRequest): Promise<Deployment>;
  getDeployment(id: string): Promise<Deployment>;
  listDeployments(filter?: DeploymentFilter): Promise<Deployment[]>;
  /** Adds pods (all or none, like create) or removes the newest ones. */
  scaleDeployment(id: string, replicas: number): Promise<Deployment>;
  /** Idempotent: releases every pod's capacity and address, and the service. */
  deleteDeployment(id: string): Promise<void>;
  listPods(filter?: { deploymentId?: string; hostId?: string }): Promise<Pod[]>;
  getPod(id: string): Promise<Pod>;
  readPodLog(podId: string, read?: LogRead): Promise<LogChunk>;

  /** Starts a build: clone, then the Dockerfile's steps; the build log tells each. */
  createBuild(req: CreateBuildRequest): Promise<Build>;
  getBuild(id: string): Promise<Build>;
  /** Builds not deleted (finished ones included, until deleted). */
  listBuilds(filter?: BuildFilter): Promise<Build[]>;
  /** Stops a queued or running build (state 'cancelled'); a finished build is returned as is. */
  cancelBuild(id: string): Promise<Build>;
  /** Idempotent: removes the build and its image. */
  deleteBuild(id: string): Promise<void>;
  readBuildLog(buildId: string, read?: LogRead): Promise<LogChunk>;

  /** The flavor catalog of one region's compute service. */
  regionCatalog(endpoint: RegionEndpoint): RegionFlavorCatalog;

  /** Current metric values of VMs and pods, by id (unknown ids are absent). */
  getMetrics(targetIds: string[]): Promise<Record<string, MetricValues>>;
}
