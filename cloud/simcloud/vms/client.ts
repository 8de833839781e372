import type { CreateVmRequest, MigrateVmRequest, Vm, VmChanges, VmState } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';

/** CloudBackend methods for VMs. */
export function VmClient<B extends HttpClass>(Base: B) {
  return class VmClient extends Base {
    createVm(req: CreateVmRequest): Promise<Vm> {
      return this.request('POST', '/vms', { body: req });
    }
    getVm(id: string): Promise<Vm> {
      return this.request('GET', `/vms/${seg(id)}`);
    }
    async listVms(filter: { hostId?: string; state?: VmState; region?: string } = {}): Promise<Vm[]> {
      return (await this.request<{ vms: Vm[] }>('GET', `/vms${query(filter)}`)).vms;
    }
    startVm(id: string, settings?: Record<string, string>): Promise<Vm> {
      return this.request('POST', `/vms/${seg(id)}/start`, { body: settings ? { settings } : {} });
    }
    stopVm(id: string): Promise<Vm> {
      return this.request('POST', `/vms/${seg(id)}/stop`, { body: {} });
    }
    rebootVm(id: string): Promise<Vm> {
      return this.request('POST', `/vms/${seg(id)}/reboot`, { body: {} });
    }
    async deleteVm(id: string): Promise<void> {
      await this.request('DELETE', `/vms/${seg(id)}`);
    }
    updateVm(id: string, changes: VmChanges): Promise<Vm> {
      return this.request('PATCH', `/vms/${seg(id)}`, { body: changes });
    }
    migrateVm(id: string, req: MigrateVmRequest): Promise<Vm> {
      return this.request('POST', `/vms/${seg(id)}/migrate`, { body: req });
    }
  };
}
