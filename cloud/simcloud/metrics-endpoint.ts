import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Cloud } from './cloud';
import type { SimApp } from './kernel/http';

/**
 * Prometheus metrics of simcloud at GET /_metrics (the `/metrics` route is the load-metrics API):
 * resources by kind and state, capacity and what is used of it per region, and faults fired.
 * Gauges are read from the cloud at scrape time; the faults counter counts every rule that fires
 * (the fault table's own `hits` are lost when a rule is removed). Never faulted itself.
 */
export function prometheusRoutes(app: SimApp, cloud: Cloud): void {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'simcloud' });
  collectDefaultMetrics({ register: registry, prefix: 'simcloud_' });

  const faultsFired = new Counter({
    name: 'simcloud_faults_fired_total',
    help: 'Injected faults that fired, by operation, resource and mode (error, lost_response, latency)',
    labelNames: ['operation', 'resource', 'mode'],
    registers: [registry],
  });
  const draw = cloud.faults.draw.bind(cloud.faults);
  cloud.faults.draw = (operation, resource, region) => {
    const fired = draw(operation, resource, region);
    if (fired) faultsFired.inc({ operation, resource, mode: fired.mode });
    return fired;
  };

  new Gauge({
    name: 'simcloud_fault_rules',
    help: 'Fault rules in force',
    registers: [registry],
    collect() {
      this.set(cloud.faults.list().length);
    },
  });

  new Gauge({
    name: 'simcloud_resources',
    help: 'Live (not deleted) resources by kind and state',
    labelNames: ['kind', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      const byState = (kind: string, records: Iterable<{ state: string }>) => {
        const counts = new Map<string, number>();
        for (const r of records) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ kind, state }, n);
      };
      byState('host', cloud.hosts.list());
      byState('vm', cloud.vms.records.liveValues());
      byState('volume', cloud.volumes.records.liveValues());
      byState('snapshot', cloud.snapshots.records.liveValues());
      byState('deployment', cloud.deployments.records.liveValues());
      byState('pod', cloud.deployments.pods.records.liveValues());
      byState('build', cloud.builds.records.liveValues());
      this.set({ kind: 'flavor', state: 'live' }, cloud.flavors.count);
      this.set({ kind: 'region', state: 'live' }, cloud.hosts.regionCount);
    },
  });

  const perRegion = (pick: (h: ReturnType<Cloud['hosts']['list']>[number]) => { cpu: number; memory_mb: number; disk_mb: number }) =>
    function (this: Gauge<'region' | 'resource'>) {
      this.reset();
      const totals = new Map<string, { cpu: number; memory_mb: number; disk_mb: number }>();
      for (const h of cloud.hosts.list()) {
        const t = totals.get(h.region) ?? { cpu: 0, memory_mb: 0, disk_mb: 0 };
        const v = pick(h);
        t.cpu += v.cpu;
        t.memory_mb += v.memory_mb;
        t.disk_mb += v.disk_mb;
        totals.set(h.region, t);
      }
      for (const [region, t] of totals) for (const [resource, value] of Object.entries(t)) this.set({ region, resource }, value);
    };
  new Gauge({
    name: 'simcloud_capacity',
    help: 'Host capacity by region and resource (cpu in cores, memory_mb, disk_mb), hosts that are up',
    labelNames: ['region', 'resource'],
    registers: [registry],
    collect: perRegion((h) => (h.state === 'up' ? { cpu: h.cpu, memory_mb: h.memoryMb, disk_mb: h.diskMb } : { cpu: 0, memory_mb: 0, disk_mb: 0 })),
  });
  new Gauge({
    name: 'simcloud_capacity_used',
    help: 'Capacity taken by VMs and pods, by region and resource (cpu in cores, memory_mb, disk_mb)',
    labelNames: ['region', 'resource'],
    registers: [registry],
    collect: perRegion((h) => ({ cpu: h.usedCpu, memory_mb: h.usedMemoryMb, disk_mb: h.usedDiskMb })),
  });

  app.get('/_metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
}
