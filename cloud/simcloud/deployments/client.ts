import type { CreateDeploymentRequest, Deployment, DeploymentFilter, LogChunk, LogRead, Pod } from '../../contract';
import { query, seg, type HttpClass } from '../kernel/http-client';

/** CloudBackend methods for deployments and their pods. */
export function DeploymentClient<B extends HttpClass>(Base: B) {
  return class DeploymentClient extends Base {
    createDeployment(req: CreateDeploymentRequest): Promise<Deployment> {
      return this.request('POST', '/deployments', { body: req });
    }
    getDeployment(id: string): Promise<Deployment> {
      return this.request('GET', `/deployments/${seg(id)}`);
    }
    /** `label`: `KEY=VALUE` (that label with that value) or `KEY` (that label, any value). */
    async listDeployments(filter: DeploymentFilter = {}): Promise<Deployment[]> {
      return (await this.request<{ deployments: Deployment[] }>('GET', `/deployments${query({ ...filter })}`)).deployments;
    }
    scaleDeployment(id: string, replicas: number): Promise<Deployment> {
      return this.request('POST', `/deployments/${seg(id)}/scale`, { body: { replicas } });
    }
    async deleteDeployment(id: string): Promise<void> {
      await this.request('DELETE', `/deployments/${seg(id)}`);
    }
    async listPods(filter: { deploymentId?: string; hostId?: string } = {}): Promise<Pod[]> {
      return (await this.request<{ pods: Pod[] }>('GET', `/pods${query(filter)}`)).pods;
    }
    getPod(id: string): Promise<Pod> {
      return this.request('GET', `/pods/${seg(id)}`);
    }
    readPodLog(podId: string, read: LogRead = {}): Promise<LogChunk> {
      return this.request('GET', `/pods/${seg(podId)}/log${query({ ...read })}`, { waitMs: read.waitMs });
    }
  };
}
