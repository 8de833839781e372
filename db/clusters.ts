import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** How a product version's template is written: Jinja2 producing JSON or YAML (upstream's `templatetype`). */
export type TemplateType = 'json+jinja2' | 'yaml+jinja2';

/** A product's launch options: defaults by kind, and a description per key. */
export interface ProductOptions {
  required: Record<string, unknown>;
  optional: Record<string, unknown>;
  advanced: Record<string, unknown>;
  descriptions: Record<string, string>;
}

/** One version of a catalog product (the BigData PaaS registry's `products/<name>/<version>`). */
export interface ClusterProductsTable {
  name: string;
  version: string;
  description: string;
  logo_url: string;
  template: string | null;
  template_type: TemplateType | null;
  options: Json<ProductOptions> | null;
  /** The configuration script run against a launched cluster's nodes (upstream: a fabfile). */
  orchestrator: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/**
 * The seed's status machine, plus `pending` (launch accepted, not yet registered: the queue
 * entry only, not shown as a cluster) and `failed` (with the reason in `error`).
 */
export type ClusterStatus = 'pending' | 'registered' | 'scheduling' | 'scheduled' | 'configuring' | 'configured' | 'ready' | 'failed' | 'destroyed';

export interface StatusChange {
  status: ClusterStatus;
  at: string;
}

/** Last cluster number given out per user, product and version: numbers count 1, 2, 3… and are never reused. */
export interface ClusterCountersTable {
  owner_id: string;
  product: string;
  version: string;
  last_number: number;
}

export interface ClustersTable {
  id: Generated<number>;
  /** The launch's queue entry (`/queue/{id}`). */
  queue_id: Generated<string>;
  owner_id: string;
  owner_name: string;
  project_id: string;
  product: string;
  version: string;
  /** 1, 2, 3… per owner, product and version. */
  number: number;
  status: ClusterStatus;
  /** The rendered template's `dnsname`, once registered. */
  dnsname: string | null;
  /** Where every node runs: the template's `region`, else chosen when the nodes are placed. */
  region: string | null;
  error: string | null;
  /** Merged launch options: product defaults, then the request's values. */
  options: Json<Record<string, unknown>>;
  history: ColumnType<StatusChange[], string | undefined, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Node status: pending → queued (placed, starting) → running, or failed; stopped once released. */
export type NodeStatus = 'pending' | 'queued' | 'running' | 'failed' | 'stopped';

export interface ClusterNodesTable {
  cluster_id: number;
  name: string;
  /** Position in the template: names the node's deployment. */
  ordinal: number;
  docker_image: string;
  cpu: number;
  mem: number;
  disks: Json<Record<string, Record<string, unknown>>>;
  networks: Json<Record<string, Record<string, unknown>>>;
  /** Every other key the template gave the node (e.g. docker_opts). */
  properties: Json<Record<string, unknown>>;
  status: NodeStatus;
  deployment_id: string | null;
  host_id: string | null;
  host: string | null;
  address: string | null;
  error: string | null;
  updated_at: UpdatedAt;
}

export type ServiceStatus = 'pending' | 'configured' | 'failed' | 'stopped';

export interface ClusterServicesTable {
  cluster_id: number;
  name: string;
  nodes: Json<string[]>;
  /** Every other key the template gave the service (e.g. heap sizes the orchestrator reads). */
  properties: Json<Record<string, unknown>>;
  status: ServiceStatus;
  /** What the orchestrator step printed for this service. */
  output: Json<string[]>;
}

export interface ClusterTables {
  cluster_products: ClusterProductsTable;
  cluster_counters: ClusterCountersTable;
  clusters: ClustersTable;
  cluster_nodes: ClusterNodesTable;
  cluster_services: ClusterServicesTable;
}

// ---- names -------------------------------------------------------------------------------------

/** Operations on a cluster run on workflow ID `cluster/<id>` (the table's id: short, unique, filterable). */
export const CLUSTER_RESOURCE_TYPE = 'cluster';
export const clusterResource = (clusterId: number) => `${CLUSTER_RESOURCE_TYPE}/${clusterId}`;

export interface ClusterPath {
  owner: string;
  product: string;
  version: string;
  number: number;
}

/** "alice/reference/1.0.0/3": how people name a cluster (its URI below /clusters). */
export const clusterLabel = (p: ClusterPath) => `${p.owner}/${p.product}/${p.version}/${p.number}`;

/** The registry DN upstream templates and orchestrators receive: `clusters/alice/reference/1.0.0/3`. */
export const clusterDn = (p: ClusterPath) => `clusters/${clusterLabel(p)}`;

/** Upstream's `id_from(dn)`: the DN without slashes and dots, e.g. `clusters--alice--reference--1__0__0--3`. */
export const clusterIdOf = (dn: string) => dn.replace(/\//g, '--').replace(/\./g, '__');
