import type { Host, Region } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';
import type { z } from 'zod';
import type { addHostsBody } from './schema';

export type AddHostsRequest = z.input<typeof addHostsBody>;

/** CloudBackend methods for regions and hosts. */
export function HostClient<B extends HttpClass>(Base: B) {
  return class HostClient extends Base {
    async listRegions(): Promise<Region[]> {
      return (await this.request<{ regions: Region[] }>('GET', '/regions')).regions;
    }
    async listHosts(filter: { region?: string } = {}): Promise<Host[]> {
      return (await this.request<{ hosts: Host[] }>('GET', `/hosts${query(filter)}`)).hosts;
    }
    getHost(id: string): Promise<Host> {
      return this.request('GET', `/hosts/${seg(id)}`);
    }
  };
}

/** Operator controls: add hosts (a new region name creates the region), remove an empty host. */
export function HostAdmin<B extends HttpClass>(Base: B) {
  return class HostAdmin extends Base {
    async addHosts(req: AddHostsRequest): Promise<Host[]> {
      return (await this.request<{ hosts: Host[] }>('POST', '/hosts', { body: req })).hosts;
    }
    /** Conflict while a live VM or pod is on the host. */
    async removeHost(id: string): Promise<void> {
      await this.request('DELETE', `/hosts/${seg(id)}`);
    }
  };
}
