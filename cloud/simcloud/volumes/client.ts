import type { CreateVolumeRequest, Volume, VolumeFilter } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';

/** CloudBackend methods for volumes. */
export function VolumeClient<B extends HttpClass>(Base: B) {
  return class VolumeClient extends Base {
    createVolume(req: CreateVolumeRequest): Promise<Volume> {
      return this.request('POST', '/volumes', { body: req });
    }
    getVolume(id: string): Promise<Volume> {
      return this.request('GET', `/volumes/${seg(id)}`);
    }
    /** `label`: `KEY=VALUE` (that label with that value) or `KEY` (that label, any value). */
    async listVolumes(filter: VolumeFilter = {}): Promise<Volume[]> {
      return (await this.request<{ volumes: Volume[] }>('GET', `/volumes${query({ ...filter })}`)).volumes;
    }
    attachVolume(id: string, vmId: string): Promise<Volume> {
      return this.request('POST', `/volumes/${seg(id)}/attach`, { body: { vmId } });
    }
    detachVolume(id: string): Promise<Volume> {
      return this.request('POST', `/volumes/${seg(id)}/detach`, { body: {} });
    }
    async deleteVolume(id: string): Promise<void> {
      await this.request('DELETE', `/volumes/${seg(id)}`);
    }
  };
}
