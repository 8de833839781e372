import type { CreateSnapshotRequest, Snapshot, SnapshotFilter } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';

/** CloudBackend methods for snapshots. */
export function SnapshotClient<B extends HttpClass>(Base: B) {
  return class SnapshotClient extends Base {
    createSnapshot(req: CreateSnapshotRequest): Promise<Snapshot> {
      return this.request('POST', '/snapshots', { body: req });
    }
    getSnapshot(id: string): Promise<Snapshot> {
      return this.request('GET', `/snapshots/${seg(id)}`);
    }
    /** `label`: `KEY=VALUE` (that label with that value) or `KEY` (that label, any value). */
    async listSnapshots(filter: SnapshotFilter = {}): Promise<Snapshot[]> {
      return (await this.request<{ snapshots: Snapshot[] }>('GET', `/snapshots${query({ ...filter })}`)).snapshots;
    }
    async deleteSnapshot(id: string): Promise<void> {
      await this.request('DELETE', `/snapshots/${seg(id)}`);
    }
  };
}
