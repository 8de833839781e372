import type { CloudBackend } from './contract';
import { BuildClient } from './simcloud/builds/client';
import { ChaosAdmin } from './simcloud/chaos/client';
import { DeploymentClient } from './simcloud/deployments/client';
import { RegionCatalogClient } from './simcloud/flavors/client';
import type { Health } from './simcloud/health';
import { HostAdmin, HostClient } from './simcloud/hosts/client';
import { SimcloudHttp } from './simcloud/kernel/http-client';
import { MetricsClient } from './simcloud/metrics/client';
import { SnapshotClient } from './simcloud/snapshots/client';
import { VmClient } from './simcloud/vms/client';
import { VolumeClient } from './simcloud/volumes/client';

export type { SimcloudClientOptions } from './simcloud/kernel/http-client';
export type { AddHostsRequest } from './simcloud/hosts/client';
export type { FaultRuleInput as FaultRule, Fault } from './simcloud/chaos/schema';
export type { Health } from './simcloud/health';

/**
 * The cloud backend over simcloud's HTTP API; every failure is a CloudError. Each resource's
 * methods live beside it (cloud/simcloud/<resource>/client.ts) and are mixed in here.
 */
export class SimcloudClient
  extends MetricsClient(RegionCatalogClient(BuildClient(DeploymentClient(SnapshotClient(VolumeClient(VmClient(HostClient(SimcloudHttp))))))))
  implements CloudBackend {}

/** Operator and test controls: hosts, chaos rules, seed, out-of-band events, load, health. Not part of CloudBackend. */
export class SimcloudAdmin extends ChaosAdmin(HostAdmin(SimcloudClient)) {
  /** Live counts per kind, used capacity and pending timers. */
  health(): Promise<Health> {
    return this.request('GET', '/healthz');
  }
}
