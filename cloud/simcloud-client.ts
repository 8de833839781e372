import {
  CloudError,
  type CloudBackend,
  type CloudErrorCode,
  type CreateSnapshotRequest,
  type CreateVmRequest,
  type CreateVolumeRequest,
  type Host,
  type MigrateVmRequest,
  type Region,
  type Snapshot,
  type Vm,
  type VmState,
  type Volume,
} from './contract';

const CODES: readonly CloudErrorCode[] = ['capacity', 'not_found', 'invalid', 'conflict', 'unavailable'];

/** The body's code wins (capacity and conflict share 409); else the status decides. */
function codeFor(status: number, bodyCode: unknown): CloudErrorCode {
  if (typeof bodyCode === 'string' && (CODES as readonly string[]).includes(bodyCode)) return bodyCode as CloudErrorCode;
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status >= 500 || status === 429 || status === 408) return 'unavailable';
  return 'invalid';
}

export interface SimcloudClientOptions {
  /** Per-request timeout; a timeout is a retryable 'unavailable'. Default 10 s. */
  timeoutMs?: number;
}

export type FaultRule = {
  operation?: string;
  resource?: 'vm' | 'volume' | 'snapshot' | 'host' | 'region' | '*';
  probability: number;
  status?: number;
  code?: CloudErrorCode;
  latencyMs?: number;
  mode?: 'error' | 'lost_response' | 'latency';
};

export type AddHostsRequest = {
  region: string;
  count?: number;
  name?: string;
  cpu?: number;
  memoryMb?: number;
  diskMb?: number;
  labels?: Record<string, string>;
};

/** The cloud backend over simcloud's HTTP API. Every failure is a CloudError. */
export class SimcloudClient implements CloudBackend {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, opts: SimcloudClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  protected async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : `${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}`;
      throw new CloudError('unavailable', `simcloud ${method} ${path}: ${why}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The connection dropped mid-body: the request may or may not have been applied.
      throw new CloudError('unavailable', `simcloud ${method} ${path}: reply lost (${(err as Error).message})`, res.status);
    }
    let json: any = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        if (res.ok) throw new CloudError('unavailable', `simcloud ${method} ${path}: reply is not JSON`, res.status);
      }
    }
    if (!res.ok) {
      const message = json?.error?.message ?? (text.slice(0, 200) || res.statusText);
      throw new CloudError(codeFor(res.status, json?.error?.code), message, res.status);
    }
    return json as T;
  }

  private static q(params: Record<string, string | undefined>): string {
    const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
    return entries.length ? `?${new URLSearchParams(entries)}` : '';
  }

  private static id(id: string): string {
    return encodeURIComponent(id);
  }

  async listRegions(): Promise<Region[]> {
    return (await this.request<{ regions: Region[] }>('GET', '/regions')).regions;
  }
  async listHosts(filter: { region?: string } = {}): Promise<Host[]> {
    return (await this.request<{ hosts: Host[] }>('GET', `/hosts${SimcloudClient.q({ region: filter.region })}`)).hosts;
  }
  getHost(id: string): Promise<Host> {
    return this.request('GET', `/hosts/${SimcloudClient.id(id)}`);
  }

  createVm(req: CreateVmRequest): Promise<Vm> {
    return this.request('POST', '/vms', req);
  }
  getVm(id: string): Promise<Vm> {
    return this.request('GET', `/vms/${SimcloudClient.id(id)}`);
  }
  async listVms(filter: { hostId?: string; state?: VmState; region?: string } = {}): Promise<Vm[]> {
    return (await this.request<{ vms: Vm[] }>('GET', `/vms${SimcloudClient.q(filter)}`)).vms;
  }
  startVm(id: string, settings?: Record<string, string>): Promise<Vm> {
    return this.request('POST', `/vms/${SimcloudClient.id(id)}/start`, settings ? { settings } : {});
  }
  stopVm(id: string): Promise<Vm> {
    return this.request('POST', `/vms/${SimcloudClient.id(id)}/stop`, {});
  }
  rebootVm(id: string): Promise<Vm> {
    return this.request('POST', `/vms/${SimcloudClient.id(id)}/reboot`, {});
  }
  async deleteVm(id: string): Promise<void> {
    await this.request('DELETE', `/vms/${SimcloudClient.id(id)}`);
  }
  updateVm(
    id: string,
    changes: { cpu?: number; memoryMb?: number; diskMb?: number; name?: string; context?: Record<string, string> },
  ): Promise<Vm> {
    return this.request('PATCH', `/vms/${SimcloudClient.id(id)}`, changes);
  }
  migrateVm(id: string, req: MigrateVmRequest): Promise<Vm> {
    return this.request('POST', `/vms/${SimcloudClient.id(id)}/migrate`, req);
  }

  createVolume(req: CreateVolumeRequest): Promise<Volume> {
    return this.request('POST', '/volumes', req);
  }
  getVolume(id: string): Promise<Volume> {
    return this.request('GET', `/volumes/${SimcloudClient.id(id)}`);
  }
  async listVolumes(filter: { vmId?: string } = {}): Promise<Volume[]> {
    return (await this.request<{ volumes: Volume[] }>('GET', `/volumes${SimcloudClient.q(filter)}`)).volumes;
  }
  attachVolume(id: string, vmId: string): Promise<Volume> {
    return this.request('POST', `/volumes/${SimcloudClient.id(id)}/attach`, { vmId });
  }
  detachVolume(id: string): Promise<Volume> {
    return this.request('POST', `/volumes/${SimcloudClient.id(id)}/detach`, {});
  }
  async deleteVolume(id: string): Promise<void> {
    await this.request('DELETE', `/volumes/${SimcloudClient.id(id)}`);
  }

  createSnapshot(req: CreateSnapshotRequest): Promise<Snapshot> {
    return this.request('POST', '/snapshots', req);
  }
  getSnapshot(id: string): Promise<Snapshot> {
    return this.request('GET', `/snapshots/${SimcloudClient.id(id)}`);
  }
  async listSnapshots(filter: { vmId?: string } = {}): Promise<Snapshot[]> {
    return (await this.request<{ snapshots: Snapshot[] }>('GET', `/snapshots${SimcloudClient.q(filter)}`)).snapshots;
  }
  async deleteSnapshot(id: string): Promise<void> {
    await this.request('DELETE', `/snapshots/${SimcloudClient.id(id)}`);
  }
}

/** Operator and test controls: hosts, chaos rules, seed, out-of-band events. Not part of CloudBackend. */
export class SimcloudAdmin extends SimcloudClient {
  async addHosts(req: AddHostsRequest): Promise<Host[]> {
    return (await this.request<{ hosts: Host[] }>('POST', '/hosts', req)).hosts;
  }
  async addFaultRule(rule: FaultRule): Promise<FaultRule & { id: string }> {
    return (await this.request<{ rules: (FaultRule & { id: string })[] }>('POST', '/_chaos/faults', rule)).rules[0]!;
  }
  async listFaultRules(): Promise<(FaultRule & { id: string; hits: number })[]> {
    return (await this.request<{ rules: (FaultRule & { id: string; hits: number })[] }>('GET', '/_chaos/faults')).rules;
  }
  async removeFaultRule(id: string): Promise<void> {
    await this.request('DELETE', `/_chaos/faults/${encodeURIComponent(id)}`);
  }
  async clearFaults(): Promise<void> {
    await this.request('DELETE', '/_chaos/faults');
  }
  async setSeed(seed: number): Promise<void> {
    await this.request('POST', '/_chaos/seed', { seed });
  }
  async crashVm(vmId: string, reason?: string): Promise<Vm> {
    return (await this.request<{ vm: Vm }>('POST', '/_chaos/events', { type: 'vm_crash', vmId, reason })).vm;
  }
  async hostDown(hostId: string): Promise<Host> {
    return (await this.request<{ host: Host }>('POST', '/_chaos/events', { type: 'host_down', hostId })).host;
  }
  async hostUp(hostId: string): Promise<Host> {
    return (await this.request<{ host: Host }>('POST', '/_chaos/events', { type: 'host_up', hostId })).host;
  }
  async health(): Promise<{ ok: boolean; hosts: number; vms: number }> {
    return this.request('GET', '/healthz');
  }
}
