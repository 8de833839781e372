import type { MetricValues, Pod, Vm, Host } from '../../contract';
import { seg, type HttpClass } from '../kernel/http-client';
import type { Fault, FaultRuleInput } from './schema';

/** Operator and test controls over the chaos API: fault rules, seed, out-of-band events, load. */
export function ChaosAdmin<B extends HttpClass>(Base: B) {
  return class ChaosAdmin extends Base {
    async addFaultRule(rule: FaultRuleInput): Promise<Fault> {
      return (await this.request<{ rules: Fault[] }>('POST', '/_chaos/faults', { body: rule })).rules[0]!;
    }
    async listFaultRules(): Promise<Fault[]> {
      return (await this.request<{ rules: Fault[] }>('GET', '/_chaos/faults')).rules;
    }
    async removeFaultRule(id: string): Promise<void> {
      await this.request('DELETE', `/_chaos/faults/${seg(id)}`);
    }
    async clearFaults(): Promise<void> {
      await this.request('DELETE', '/_chaos/faults');
    }
    async setSeed(seed: number): Promise<void> {
      await this.request('POST', '/_chaos/seed', { body: { seed } });
    }
    async crashVm(vmId: string, reason?: string): Promise<Vm> {
      return (await this.request<{ vm: Vm }>('POST', '/_chaos/events', { body: { type: 'vm_crash', vmId, reason } })).vm;
    }
    /** The pod crash-loops (back to running after a backoff), or fails for good when permanent. */
    async crashPod(podId: string, opts: { reason?: string; permanent?: boolean } = {}): Promise<Pod> {
      return (await this.request<{ pod: Pod }>('POST', '/_chaos/events', { body: { type: 'pod_crash', podId, ...opts } })).pod;
    }
    async hostDown(hostId: string): Promise<Host> {
      return (await this.request<{ host: Host }>('POST', '/_chaos/events', { body: { type: 'host_down', hostId } })).host;
    }
    async hostUp(hostId: string): Promise<Host> {
      return (await this.request<{ host: Host }>('POST', '/_chaos/events', { body: { type: 'host_up', hostId } })).host;
    }
    /** Sets one metric of a VM or pod (not_found for anything else). */
    async setLoad(target: string, metric: keyof MetricValues, value: number): Promise<MetricValues> {
      return (await this.request<{ metrics: MetricValues }>('POST', '/_chaos/load', { body: { target, metric, value } })).metrics;
    }
  };
}
