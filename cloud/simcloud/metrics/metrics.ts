import type { MetricValues } from '../../contract';
import { notFound } from '../kernel/errors';
import type { Kernel } from '../kernel/kernel';
import type { Table } from '../kernel/store';
import { metricNames } from './schema';

type MetricName = (typeof metricNames)[number];

interface MetricRecord extends Partial<MetricValues> {
  /** The VM or pod id. */
  id: string;
}

/**
 * Load metrics of live VMs and pods, set through the chaos API so autoscalers can be driven
 * deterministically. Values of deleted objects are dropped (the owners call drop()).
 */
export class Metrics {
  private readonly values = new Map<string, MetricRecord>();
  private readonly table: Table<MetricRecord>;

  constructor(
    private readonly kernel: Kernel,
    /** Whether an id is a live VM or pod. */
    private readonly isTarget: (id: string) => boolean,
  ) {
    this.table = kernel.store.table<MetricRecord>({ name: 'metrics' });
  }

  restore(): void {
    for (const r of this.table.takeLoaded()) this.values.set(r.id, r);
  }

  async set(target: string, metric: MetricName, value: number): Promise<{ target: string; metrics: MetricValues }> {
    if (!this.isTarget(target)) throw notFound('VM or pod', target);
    let r = this.values.get(target);
    if (!r) this.values.set(target, (r = { id: target }));
    r[metric] = value;
    this.table.mark(r);
    return this.kernel.commit({ target, metrics: this.read(target) });
  }

  /** Values by id for the live targets among `ids`; unset metrics read 0. */
  get(ids: string[]): Record<string, MetricValues> {
    const out: Record<string, MetricValues> = {};
    for (const id of ids) if (this.isTarget(id)) out[id] = this.read(id);
    return out;
  }

  drop(id: string): void {
    if (this.values.delete(id)) this.table.remove(id);
  }

  private read(id: string): MetricValues {
    const r = this.values.get(id);
    return Object.fromEntries(metricNames.map((m) => [m, r?.[m] ?? 0])) as MetricValues;
  }
}
