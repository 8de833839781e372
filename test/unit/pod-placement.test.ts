import { describe, expect, it } from 'vitest';
import { placePods } from '../../cloud/simcloud/hosts/pod-placement';
import type { PlacementHost } from '../../cloud/simcloud/hosts/placement';

const host = (index: number, opts: { cpu?: number; memoryMb?: number; usedMemoryMb?: number; usedMilliCpu?: number; state?: 'up' | 'down'; labels?: Record<string, string> } = {}): PlacementHost => ({
  id: `h${index}`,
  index,
  state: opts.state ?? 'up',
  cpu: opts.cpu ?? 4,
  memoryMb: opts.memoryMb ?? 4096,
  diskMb: 1000,
  labels: opts.labels ?? {},
  used: { milliCpu: opts.usedMilliCpu ?? 0, memoryMb: opts.usedMemoryMb ?? 0, diskMb: 0 },
});
const pod = { milliCpu: 500, memoryMb: 512, diskMb: 0 };
const ids = (hosts: PlacementHost[] | null) => hosts?.map((h) => h.id) ?? null;

describe('placePods (pure)', () => {
  it('spreads pods across hosts before doubling up, most free memory first, then lowest index', () => {
    const hosts = [host(0), host(1, { usedMemoryMb: 1024 }), host(2)];
    expect(ids(placePods(hosts, { count: 3, load: pod }))).toEqual(['h0', 'h2', 'h1']);
    expect(ids(placePods(hosts, { count: 5, load: pod }))).toEqual(['h0', 'h2', 'h1', 'h0', 'h2']);
  });

  it('avoids hosts that already hold pods of the same group while others have room', () => {
    const hosts = [host(0), host(1), host(2)];
    const colocated = new Map([
      ['h0', 2],
      ['h1', 1],
    ]);
    expect(ids(placePods(hosts, { count: 3, load: pod, colocated }))).toEqual(['h2', 'h1', 'h2']);
  });

  it('is all or nothing: null when not every pod fits, without touching the hosts', () => {
    const hosts = [host(0, { cpu: 1 }), host(1, { cpu: 1 })];
    expect(placePods(hosts, { count: 5, load: pod })).toBeNull();
    expect(hosts.every((h) => h.used.milliCpu === 0)).toBe(true);
    expect(ids(placePods(hosts, { count: 4, load: pod }))).toHaveLength(4);
  });

  it('accounts fractional CPU exactly in millicores', () => {
    // 3 × 0.333 cores fit in 1 core; a fourth does not.
    const hosts = [host(0, { cpu: 1 })];
    expect(ids(placePods(hosts, { count: 3, load: { milliCpu: 333, memoryMb: 1, diskMb: 0 } }))).toEqual(['h0', 'h0', 'h0']);
    expect(placePods(hosts, { count: 4, load: { milliCpu: 333, memoryMb: 1, diskMb: 0 } })).toBeNull();
    expect(placePods([host(0, { cpu: 1, usedMilliCpu: 1000 })], { count: 1, load: { milliCpu: 1, memoryMb: 1, diskMb: 0 } })).toBeNull();
  });

  it('skips down hosts and hosts whose labels do not match the requirements', () => {
    const hosts = [host(0, { state: 'down' }), host(1, { labels: { GEO: 'US' } }), host(2, { labels: { GEO: 'EU' } })];
    expect(ids(placePods(hosts, { count: 2, load: pod, requirements: { GEO: 'EU' } }))).toEqual(['h2', 'h2']);
    expect(placePods(hosts, { count: 1, load: pod, requirements: { GEO: 'AP' } })).toBeNull();
    expect(placePods(hosts, { count: 0, load: pod })).toEqual([]);
  });
});
