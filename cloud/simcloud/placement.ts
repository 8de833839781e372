import type { HostRecord } from './types';

/** What a VM needs from a host. Pure functions: unit-testable without a server. */
export interface PlacementRequest {
  cpu: number;
  memoryMb: number;
  diskMb: number;
  requirements?: Record<string, string>;
  rank?: string;
}

export function freeOf(h: HostRecord) {
  return { cpu: h.cpu - h.usedCpu, memoryMb: h.memoryMb - h.usedMemoryMb, diskMb: h.diskMb - h.usedDiskMb };
}

export function hasRoom(h: HostRecord, need: { cpu: number; memoryMb: number; diskMb: number }): boolean {
  const free = freeOf(h);
  return free.cpu >= need.cpu && free.memoryMb >= need.memoryMb && free.diskMb >= need.diskMb;
}

export function matchesRequirements(h: HostRecord, requirements: Record<string, string> | undefined): boolean {
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

/**
 * Picks the best up host with room that matches the requirements: lowest `rank` label when a
 * rank is given, else (and as tie-break) the most free memory, then the lowest index.
 */
export function chooseHost(hosts: Iterable<HostRecord>, req: PlacementRequest): HostRecord | null {
  let best: HostRecord | null = null;
  for (const h of hosts) {
    if (h.state !== 'up' || !hasRoom(h, req) || !matchesRequirements(h, req.requirements)) continue;
    if (!best || better(h, best, req.rank)) best = h;
  }
  return best;
}

function better(a: HostRecord, b: HostRecord, rank: string | undefined): boolean {
  if (rank) {
    const c = compareLabel(a.labels[rank], b.labels[rank]);
    if (c !== 0) return c < 0;
  }
  const fa = a.memoryMb - a.usedMemoryMb;
  const fb = b.memoryMb - b.usedMemoryMb;
  if (fa !== fb) return fa > fb;
  return a.index < b.index;
}
