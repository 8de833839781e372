import type { HostRecord, Load } from './hosts';

/** What placement reads of a host. Pure functions: unit-testable without a server. */
export type PlacementHost = Pick<HostRecord, 'id' | 'index' | 'state' | 'cpu' | 'memoryMb' | 'diskMb' | 'labels' | 'used'>;

export function freeOf(h: PlacementHost): Load {
  return { milliCpu: h.cpu * 1000 - h.used.milliCpu, memoryMb: h.memoryMb - h.used.memoryMb, diskMb: h.diskMb - h.used.diskMb };
}

export function fits(free: Load, need: Load): boolean {
  return free.milliCpu >= need.milliCpu && free.memoryMb >= need.memoryMb && free.diskMb >= need.diskMb;
}

export function hasRoom(h: PlacementHost, need: Load): boolean {
  return fits(freeOf(h), need);
}

export function matchesRequirements(h: PlacementHost, requirements: Record<string, string> | undefined): boolean {
  if (!requirements) return true;
  for (const [k, v] of Object.entries(requirements)) if (h.labels[k] !== v) return false;
  return true;
}

/** Numeric labels compare as numbers ('5' < '10'); hosts without the label rank last. */
function compareLabel(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : 1;
}

export interface VmPlacement {
  requirements?: Record<string, string>;
  /** Host label to prefer: hosts with a lower value rank first. */
  rank?: string;
}

/**
 * Picks the best up host with room for a VM that matches the requirements: lowest `rank` label
 * when a rank is given, else (and as tie-break) the most free memory, then the lowest index.
 */
export function chooseHost<H extends PlacementHost>(hosts: Iterable<H>, need: Load, opts: VmPlacement = {}): H | null {
  let best: H | null = null;
  for (const h of hosts) {
    if (h.state !== 'up' || !hasRoom(h, need) || !matchesRequirements(h, opts.requirements)) continue;
    if (!best || better(h, best, opts.rank)) best = h;
  }
  return best;
}

function better(a: PlacementHost, b: PlacementHost, rank: string | undefined): boolean {
  if (rank) {
    const c = compareLabel(a.labels[rank], b.labels[rank]);
    if (c !== 0) return c < 0;
  }
  const fa = a.memoryMb - a.used.memoryMb;
  const fb = b.memoryMb - b.used.memoryMb;
  if (fa !== fb) return fa > fb;
  return a.index < b.index;
}
