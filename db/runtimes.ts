import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** The two function roles of a serverless runtime (Provision Engine: FaaS and the optional DaaS). */
export type RuntimeRole = 'FAAS' | 'DAAS';
export const RUNTIME_ROLES: readonly RuntimeRole[] = ['FAAS', 'DAAS'];

/** The seed's function states (RUNNING only once the VM reports ready). */
export type RuntimeFunctionState = 'PENDING' | 'RUNNING' | 'UPDATING' | 'ERROR';

/** A role's VM template defaults inside a service template. */
export interface RoleTemplate {
  CPU?: number;
  MEMORY?: number;
  DISK_SIZE?: number;
}

export interface RuntimeScheduling {
  POLICY?: string;
  REQUIREMENTS?: string;
}

export interface RuntimeDeviceInfo {
  LATENCY_TO_PE?: number;
  GEOGRAPHIC_LOCATION?: string;
}

/** Service templates: one per flavour tuple `FAAS.FLAVOUR[-DAAS.FLAVOUR]`, with a VM template per role. */
export interface RuntimeTemplatesTable {
  tuple: string;
  roles: Json<Partial<Record<RuntimeRole, RoleTemplate>>>;
  description: string;
  created_at: CreatedAt;
}

/** 'active' while it exists; 'deleting' while deleteRuntime runs; 'deleted' afterwards (then deleted_at is set). */
export type RuntimeStatus = 'active' | 'deleting' | 'deleted';

export interface RuntimesTable {
  id: Generated<number>;
  /** The Provision Engine's OneFlow service number; kept for the seed's SERVICE_ID. */
  service_id: Generated<number>;
  project_id: string;
  name: string;
  tuple: string;
  scheduling: Json<RuntimeScheduling>;
  device_info: Json<RuntimeDeviceInfo>;
  /** base64(user:password) of the creator, sealed with AES-256-GCM (lib/secrets.ts, SR_AUTH_PURPOSE); activities open it. */
  auth_sealed: string;
  status: RuntimeStatus;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Date | null;
}

export interface RuntimeFunctionsTable {
  runtime_id: number;
  role: RuntimeRole;
  flavour: string;
  /** The seed's integer VM_ID; stays the same when recovery recreates the cloud VM. */
  vm_number: Generated<number>;
  cloud_vm_id: string | null;
  host_id: string | null;
  state: RuntimeFunctionState;
  cpu: number;
  memory: number;
  disk_size: number;
  /** Live-resize limits: twice the size the function was created with. */
  cpu_max: number;
  memory_max: number;
  endpoint: string;
  error: string | null;
  updated_at: UpdatedAt;
}

export interface RuntimeTables {
  runtime_templates: RuntimeTemplatesTable;
  runtimes: RuntimesTable;
  runtime_functions: RuntimeFunctionsTable;
}

/** What a runtime's SR_AUTH is sealed for (lib/secrets.ts). */
export const SR_AUTH_PURPOSE = 'provisio/runtimes/sr-auth';

// ---- placement ---------------------------------------------------------------------------------

/**
 * SCHEDULING as the cloud's placement: REQUIREMENTS "GEO=EU & ZONE=region-1-a" become host label
 * requirements with upper-cased keys; POLICY names the label to rank by (upper-cased), lowest first.
 */
export function placementOf(scheduling: RuntimeScheduling): { requirements: Record<string, string>; rank?: string } {
  const requirements: Record<string, string> = {};
  for (const term of splitRequirements(scheduling.REQUIREMENTS ?? '')) {
    const [key, value] = term;
    requirements[key.toUpperCase()] = value;
  }
  const rank = scheduling.POLICY?.trim() ? scheduling.POLICY.trim().toUpperCase() : undefined;
  return rank ? { requirements, rank } : { requirements };
}

/** Parses "KEY=VALUE [&|&&|,] KEY=VALUE"; throws with the offending term when malformed. */
export function splitRequirements(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split(/&&|&|,/)) {
    const term = raw.trim();
    if (!term) continue;
    const m = term.match(/^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"?([^"]*?)"?$/);
    if (!m || !m[2]) throw new Error(`"${term}" is not KEY=VALUE`);
    out.push([m[1]!, m[2]]);
  }
  return out;
}
