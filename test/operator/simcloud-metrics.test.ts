import { describe, expect, it } from 'vitest';
import { failure, smallVm, useTestCloud, waitFor } from '../simcloud/support';

/** simcloud's Prometheus endpoint: resources by kind and state, capacity used per region, faults fired. */
const t = useTestCloud({ seed: 7 });

const scrape = async () => {
  const res = await fetch(`${t.sim.url}/_metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};
const value = (text: string, name: string, labels: Record<string, string>) => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('simcloud GET /_metrics', () => {
  it('counts resources by kind and state, and capacity used per region', async () => {
    const before = await scrape();
    expect(value(before, 'simcloud_resources', { kind: 'host', state: 'up' })).toBe(4);
    expect(value(before, 'simcloud_resources', { kind: 'region', state: 'live' })).toBe(2);
    expect(value(before, 'simcloud_capacity', { region: 'region-1', resource: 'cpu' })).toBe(32);
    expect(value(before, 'simcloud_capacity_used', { region: 'region-1', resource: 'cpu' })).toBe(0);

    const vm = await t.client.createVm(smallVm({ region: 'region-1' }));
    await waitFor(() => t.client.getVm(vm.id), (v) => v.state === 'stopped' || v.state === 'running');
    const after = await scrape();
    const vmStates = ['building', 'stopped', 'running'].map((state) => value(after, 'simcloud_resources', { kind: 'vm', state }) ?? 0);
    expect(vmStates.reduce((a, b) => a + b, 0)).toBe(1);
    expect(value(after, 'simcloud_capacity_used', { region: 'region-1', resource: 'cpu' })).toBe(2);
    expect(value(after, 'simcloud_capacity_used', { region: 'region-1', resource: 'memory_mb' })).toBe(2048);
  });

  it('counts faults that fired, even after their rule is gone', async () => {
    const rule = await t.client.addFaultRule({ operation: 'createVm', resource: 'vm', probability: 1 });
    expect(value(await scrape(), 'simcloud_fault_rules', {})).toBe(1);
    for (let i = 0; i < 3; i++) expect(await failure(t.client.createVm(smallVm()))).toMatchObject({ status: 503 });
    await t.client.removeFaultRule(rule.id);
    const text = await scrape();
    expect(value(text, 'simcloud_faults_fired_total', { operation: 'createVm', resource: 'vm', mode: 'error' })).toBe(3);
    expect(text).toContain('simcloud_process_cpu_seconds_total');
  });
});
