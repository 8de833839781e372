import { fits, freeOf, matchesRequirements, type PlacementHost } from './placement';
import type { Load } from './hosts';

export interface PodPlacementRequest {
  /** Pods to place, all or none. */
  count: number;
  /** What each pod consumes. */
  load: Load;
  requirements?: Record<string, string>;
  /**
   * Pods already on each host (by host id) that these should avoid sharing a host with: the
   * deployment's own pods and those of its spread group.
   */
  colocated?: ReadonlyMap<string, number>;
}

/**
 * Places `count` pods on up hosts that match the requirements and have room, spreading them:
 * each pod goes to the host with the fewest co-located pods of its group, then the most free
 * memory, then the lowest index. Returns the host of each pod in order, or null when not every
 * pod fits (the caller then places nothing). Pure: works on a copy of the free capacity.
 */
export function placePods<H extends PlacementHost>(hosts: Iterable<H>, req: PodPlacementRequest): H[] | null {
  const candidates: { host: H; free: Load; colocated: number }[] = [];
  for (const host of hosts)
    if (host.state === 'up' && matchesRequirements(host, req.requirements))
      candidates.push({ host, free: freeOf(host), colocated: req.colocated?.get(host.id) ?? 0 });
  const placed: H[] = [];
  for (let i = 0; i < req.count; i++) {
    let best: (typeof candidates)[number] | null = null;
    for (const c of candidates) {
      if (!fits(c.free, req.load)) continue;
      if (
        !best ||
        c.colocated < best.colocated ||
        (c.colocated === best.colocated &&
          (c.free.memoryMb > best.free.memoryMb || (c.free.memoryMb === best.free.memoryMb && c.host.index < best.host.index)))
      )
        best = c;
    }
    if (!best) return null;
    best.free = {
      milliCpu: best.free.milliCpu - req.load.milliCpu,
      memoryMb: best.free.memoryMb - req.load.memoryMb,
      diskMb: best.free.diskMb - req.load.diskMb,
    };
    best.colocated++;
    placed.push(best.host);
  }
  return placed;
}
