import type { Build, BuildFilter, CreateBuildRequest, LogChunk, LogRead } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';

/** CloudBackend methods for image builds. */
export function BuildClient<B extends HttpClass>(Base: B) {
  return class BuildClient extends Base {
    createBuild(req: CreateBuildRequest): Promise<Build> {
      return this.request('POST', '/builds', { body: req });
    }
    getBuild(id: string): Promise<Build> {
      return this.request('GET', `/builds/${seg(id)}`);
    }
    /** Builds not deleted; `label`: `KEY=VALUE` (that label with that value) or `KEY` (that label, any value). */
    async listBuilds(filter: BuildFilter = {}): Promise<Build[]> {
      return (await this.request<{ builds: Build[] }>('GET', `/builds${query({ ...filter })}`)).builds;
    }
    cancelBuild(id: string): Promise<Build> {
      return this.request('POST', `/builds/${seg(id)}/cancel`, { body: {} });
    }
    async deleteBuild(id: string): Promise<void> {
      await this.request('DELETE', `/builds/${seg(id)}`);
    }
    readBuildLog(buildId: string, read: LogRead = {}): Promise<LogChunk> {
      return this.request('GET', `/builds/${seg(buildId)}/log${query({ ...read })}`, { waitMs: read.waitMs });
    }
  };
}
