/**
 * A surface of the platform under chaos. One module per surface (drivers/<surface>.ts), listed in
 * drivers/index.ts: a new surface joins the run with one more row there.
 *
 * A driver runs one resource's life through the API as a client would (each step an operation,
 * followed to its end), tolerates the failures chaos brings (an operation that fails must fail with
 * a reason; the life then goes on to deleting what is left), deletes whatever the run left at the
 * end, and says — from the platform's database — which cloud objects its live resources own, so the
 * audit can find leaks (cloud objects nobody owns) and duplicates.
 */
import type { SimcloudAdmin } from '../../../cloud/simcloud-client';
import type { Build, Deployment, Pod, RegionFlavor, Snapshot, Vm, Volume } from '../../../cloud/contract';
import type { Db } from '../../../db/connection';
import type { Cluster } from '../../scale/cluster';
import type { ChaosClient } from '../client';
import type { Ledger } from '../ledger';
import type { Surface } from '../options';

export interface DriverContext {
  client: ChaosClient;
  /** Names every resource of the run (`ch<hex>`), so each lifecycle's names are unique. */
  runId: string;
  db: Db;
  cloud: SimcloudAdmin;
  cluster: Cluster;
  ledger: Ledger;
  random: () => number;
  /** True once the load is over: lifecycles finish what they hold and start nothing optional. */
  stopping: () => boolean;
  /**
   * Whether this lifecycle keeps its resource instead of deleting it (drawn once per lifecycle, at
   * --keep-rate): kept resources are alive when the audit compares rows and cloud after the settle,
   * and the final clean-up deletes them through the API.
   */
  keep: () => boolean;
}

export type CloudKind = 'vm' | 'volume' | 'snapshot' | 'deployment' | 'build' | 'flavor';

/** A cloud object one of the platform's live rows says exists. */
export interface OwnedObject {
  kind: CloudKind;
  /** The cloud's id (flavors: `<region>/<id>`). */
  id: string;
  /** The row that owns it, e.g. `instance/3`. */
  owner: string;
}

/** Every live object in simcloud at one moment (deleted ones left out). */
export interface CloudSnapshot {
  vms: Vm[];
  volumes: Volume[];
  snapshots: Snapshot[];
  deployments: Deployment[];
  pods: Pod[];
  builds: Build[];
  /** Region catalogs, every registered region. */
  flavors: Array<RegionFlavor & { region: string }>;
}

export type CloudObject =
  | { kind: 'vm'; object: Vm }
  | { kind: 'volume'; object: Volume }
  | { kind: 'snapshot'; object: Snapshot }
  | { kind: 'deployment'; object: Deployment }
  | { kind: 'build'; object: Build }
  | { kind: 'flavor'; object: RegionFlavor & { region: string } };

export interface ChaosDriver {
  surface: Surface;
  /** Once, before the load (catalog entries, a git repository…). */
  setup?(ctx: DriverContext): Promise<void>;
  /** One resource's life; never throws for a refused or failed step (it records it and deletes what is left). */
  lifecycle(ctx: DriverContext, index: number): Promise<void>;
  /** After the load, faults off: deletes every resource of the surface still there; returns what it could not. */
  cleanup(ctx: DriverContext, deadline: number): Promise<string[]>;
  /** The cloud objects the surface's live rows own. */
  owned(ctx: DriverContext): Promise<OwnedObject[]>;
  /** Whether an object looks like this surface's (by name or mark): attributes a leak to a surface. */
  claims(obj: CloudObject, ctx: DriverContext): boolean;
  /** The resource (`instance/3`) an object of this surface was made for, deleted rows included: where a leak's evidence is. */
  ownerOf?(obj: CloudObject, ctx: DriverContext): Promise<string | undefined>;
  /** Duplicates: rows made twice for one request (one Idempotency-Key), and live objects twice for one slot. */
  duplicates(ctx: DriverContext, cloud: CloudSnapshot): Promise<string[]>;
  /** Live rows left after the clean-up (should be none), described. */
  leftovers(ctx: DriverContext): Promise<string[]>;
  /** Once, after the run (temporary files). */
  teardown?(): Promise<void>;
}

/** Groups `items` by `key` and describes every group with more than one item. */
export function moreThanOnce<T>(items: T[], key: (t: T) => string | null | undefined, describe: (key: string, group: T[]) => string): string[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].filter(([, g]) => g.length > 1).map(([k, g]) => describe(k, g));
}

/** Random integer in [0, n). */
export const pick = (random: () => number, n: number) => Math.floor(random() * n);
