import type { NewHostSpec } from './hosts';

/** The hosts created on the first start (an empty database). */
export interface TopologyOptions {
  regions: string[];
  hostsPerRegion: number;
  hostCpu: number;
  hostMemoryMb: number;
  hostDiskMb: number;
}

export const defaultTopology: TopologyOptions = {
  regions: ['region-1', 'region-2'],
  hostsPerRegion: 4,
  hostCpu: 64,
  hostMemoryMb: 256 * 1024,
  hostDiskMb: 4 * 1024 * 1024,
};

const GEOS = ['EU', 'US', 'AP', 'SA', 'AF'];

/**
 * Labels every host gets, so placement requirements work out of the box: GEO per region,
 * LATENCY growing with the host's position (a natural `rank`), ZONE alternating a/b.
 */
export function defaultLabels(region: string, regionIndex: number, position: number): Record<string, string> {
  return {
    GEO: GEOS[regionIndex % GEOS.length]!,
    REGION: region,
    ZONE: `${region}-${position % 2 === 0 ? 'a' : 'b'}`,
    LATENCY: String(5 * (position + 1)),
  };
}

export function topologyHosts(t: TopologyOptions): NewHostSpec[] {
  return t.regions.flatMap((region, r) =>
    Array.from({ length: t.hostsPerRegion }, (_, i) => ({
      region,
      cpu: t.hostCpu,
      memoryMb: t.hostMemoryMb,
      diskMb: t.hostDiskMb,
      labels: defaultLabels(region, r, i),
    })),
  );
}
