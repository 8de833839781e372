import type { MetricValues } from '../../contract';
import { query, type HttpClass } from '../kernel/http-client';

/** CloudBackend method for load metrics. */
export function MetricsClient<B extends HttpClass>(Base: B) {
  return class MetricsClient extends Base {
    async getMetrics(targetIds: string[]): Promise<Record<string, MetricValues>> {
      if (targetIds.length === 0) return {};
      const path = `/metrics${query({ target: targetIds.join(',') })}`;
      return (await this.request<{ metrics: Record<string, MetricValues> }>('GET', path)).metrics;
    }
  };
}
