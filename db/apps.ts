import type { ColumnType } from 'kysely';

/**
 * The NUBOMEDIA PaaS apps domain: tables, and what the API, workflows and activities share
 * (statuses, media-server flavors, scaling limits, the environment injected into an app, the
 * autoscaler's settings and workflow ID). Values here are plain and deterministic, so workflow
 * code may import them.
 */

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** The seed's app statuses (DEPLOYNG is the seed's spelling), plus DELETING while deleteApp runs. */
export const APP_STATUSES = ['CREATED', 'INITIALIZING', 'INITIALISED', 'BUILDING', 'DEPLOYNG', 'RUNNING', 'FAILED', 'DELETING'] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

/** INITIALIZING while its VM boots; ACTIVE in the pool; INACTIVE when taken out of it (stop). */
export type MediaServerStatus = 'INITIALIZING' | 'ACTIVE' | 'INACTIVE';

export const FLAVORS = ['SMALL', 'MEDIUM', 'LARGE'] as const;
export type Flavor = (typeof FLAVORS)[number];
export const QOS_LEVELS = ['BRONZE', 'SILVER', 'GOLD'] as const;
export type QualityOfService = (typeof QOS_LEVELS)[number];

/** Media-server VM sizes: 1, 2 and 4 vCPU; a vCPU is worth 100 capacity points. */
export const MEDIA_SERVER_SIZES: Record<Flavor, { cpu: number; memoryMb: number; diskMb: number }> = {
  SMALL: { cpu: 1, memoryMb: 2048, diskMb: 10_240 },
  MEDIUM: { cpu: 2, memoryMb: 4096, diskMb: 10_240 },
  LARGE: { cpu: 4, memoryMb: 8192, diskMb: 10_240 },
};
export const POINTS_PER_VCPU = 100;

/** Each container of an app or supporting service requests this much. */
export const CONTAINER_SIZE = { cpu: 0.25, memoryMb: 256 };

/** Scale-out threshold (average consumed capacity points) when the app gives none (≤ 0). */
export const DEFAULT_SCALE_OUT_THRESHOLD = 140;

export interface PortSpec {
  id: string;
  port: number;
  targetPort: number;
  protocol: 'TCP' | 'UDP';
}

export interface EnvVar {
  name: string;
  value: string;
}

/** A pod as the app remembers it: the API reads logs by name, simcloud by id. */
export interface PodRef {
  id: string;
  name: string;
}

export interface AppsTable {
  id: string;
  project_id: string;
  name: string;
  /** Generated: a letter and 8 hex digits; names the cloud objects and the route. */
  os_name: string;
  route: string;
  git_url: string;
  secret_name: string | null;
  flavor: Flavor;
  replicas_number: number;
  number_of_instances: number;
  quality_of_service: QualityOfService | null;
  cloud_repository: boolean;
  cdn_connector: boolean;
  turn_server_activate: boolean;
  turn_server_url: string | null;
  turn_server_username: string | null;
  /** The TURN password, sealed (APP_SECRET_PURPOSES.turnPassword); only the media-server activity opens it. */
  turn_password_sealed: string | null;
  stun_server_activate: boolean;
  stun_server_ip: string | null;
  stun_server_port: string | null;
  scale_out_limit: number;
  scale_out_threshold: number;
  ports: Json<PortSpec[]>;
  status: AppStatus;
  /** Why the app is FAILED. */
  error: string | null;
  /** The media servers came up (upstream's resourceOK). */
  resource_ok: boolean;
  media_server_group_id: string;
  nsd_id: string;
  nsr_id: string;
  build_id: string | null;
  image: string | null;
  /** The build log, kept once the build ended (the build itself goes with the app). */
  build_log: string | null;
  deployment_id: string | null;
  pods: Json<PodRef[]>;
  /** Number of the last media server added: hostnames count up and are never reused. */
  media_server_seq: ColumnType<number, number | undefined, number>;
  created_by: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AppServicesTable {
  id: string;
  app_id: string;
  position: number;
  name: string;
  os_name: string;
  docker_url: string;
  replicas_number: number;
  ports: Json<PortSpec[]>;
  /** The service's env vars as sealed JSON (APP_SECRET_PURPOSES.serviceEnv): values are user secrets. */
  env_sealed: string;
  status: 'Pending' | 'Running' | 'Failed';
  route: string;
  deployment_id: string | null;
  pods: Json<PodRef[]>;
}

export interface AppMediaServersTable {
  id: string;
  app_id: string;
  hostname: string;
  /** The step that added it: a retried add returns the same media server. */
  client_token: string;
  vm_id: string | null;
  floating_ip: string | null;
  status: MediaServerStatus;
  created_at: CreatedAt;
}

/** Private keys for git over SSH (POST /secret), per project. */
export interface AppSecretsTable {
  project_id: string;
  name: string;
  private_key_sealed: string;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface AppTables {
  apps: AppsTable;
  app_services: AppServicesTable;
  app_media_servers: AppMediaServersTable;
  app_secrets: AppSecretsTable;
}

/** What each sealed value is sealed for (lib/secrets.ts): one purpose, one use. */
export const APP_SECRET_PURPOSES = {
  turnPassword: 'provisio/apps/turn-password',
  serviceEnv: 'provisio/apps/service-env',
  gitKey: 'provisio/apps/git-key',
} as const;

// ---- rules shared by the API (answers) and the workflows (re-checks) -------------------------

/** Most media servers the app may have: scaleOutLimit when set, else the number it started with. */
export function mediaServerLimit(app: { scale_out_limit: number; number_of_instances: number }): number {
  return app.scale_out_limit > 0 ? app.scale_out_limit : app.number_of_instances;
}

export const scaleOutRefusal = (limit: number, appName: string) =>
  `Scaling out not permitted. Maximum number (${limit}) of Media Servers of ${appName} reached`;
export const scaleInRefusal = (appName: string) => `Scaling in not permitted. Minimum number (1) of Media Servers of ${appName} reached`;
/** A media server leaves the pool (stop) only when ACTIVE and comes back (start) only when INACTIVE. */
export const poolStateRefusal = (hostname: string, start: boolean) =>
  `Bad request: media server ${hostname} is in wrong state. Must be ${start ? 'INACTIVE to start KMS again' : 'ACTIVE to stop the KMS'}`;

/** Hostname of an app's n-th media server (the seed's `media-server-vnf-<osName>-<n>`). */
export const mediaServerHostname = (osName: string, n: number) => `media-server-vnf-${osName}-${n}`;

/** In-cluster DNS name of a supporting service, as the seed's MYSQL_HOST. */
export const serviceHost = (serviceOsName: string, namespace: string) => `${serviceOsName}-svc.${namespace}.svc.cluster.local`;

/** The variables a supporting service gives the app: `<SERVICE>_HOST`, then `<SERVICE>_<VAR>` for each of its vars. */
export function injectedEnv(services: Array<{ name: string; osName: string; envVars: EnvVar[] }>, namespace: string): EnvVar[] {
  return services.flatMap((s) => {
    const prefix = s.name.toUpperCase();
    return [
      { name: `${prefix}_HOST`, value: serviceHost(s.osName, namespace) },
      ...s.envVars.map((v) => ({ name: `${prefix}_${v.name.toUpperCase()}`, value: v.value })),
    ];
  });
}

// ---- the autoscaler ---------------------------------------------------------------------------

/** Timing and policy of an app's autoscaler: workflow arguments, from configuration. */
export interface AutoscalerSettings {
  /** The autoscaler's workflow ID (`<prefix>app/<id>/autoscaler`). */
  workflowId: string;
  /** How often it reads the media servers' load. */
  periodMs: number;
  /** After a scaling action, how long before the next one. */
  cooldownMs: number;
  /** Scale in at or below this average of consumed capacity points. */
  lowMark: number;
  /** Periods before it continues as new (earlier when Temporal suggests it). */
  ticksPerRun: number;
}

export const autoscalerWorkflowId = (prefix: string, appId: string) => `${prefix}app/${appId}/autoscaler`;
