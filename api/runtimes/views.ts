import type { Selectable } from 'kysely';
import type { RuntimeFunctionsTable, RuntimeRole, RuntimesTable } from '../../db/runtimes';

type RuntimeRow = Selectable<RuntimesTable>;
type FunctionRow = Selectable<RuntimeFunctionsTable>;

/** One function in the seed's shape; ERROR only when STATE is ERROR. */
export function functionView(fn: FunctionRow) {
  return {
    FLAVOUR: fn.flavour,
    VM_ID: fn.vm_number,
    STATE: fn.state,
    ENDPOINT: fn.endpoint,
    CPU: fn.cpu,
    MEMORY: fn.memory,
    DISK_SIZE: fn.disk_size,
    ...(fn.state === 'ERROR' ? { ERROR: fn.error ?? '' } : {}),
  };
}

/** `{"SERVERLESS_RUNTIME": {NAME, ID, FAAS, DAAS?, SCHEDULING, DEVICE_INFO, SERVICE_ID}}`. */
export function runtimeView(row: RuntimeRow, functions: FunctionRow[]) {
  const byRole = (role: RuntimeRole) => functions.find((f) => f.role === role);
  const faas = byRole('FAAS');
  const daas = byRole('DAAS');
  return {
    SERVERLESS_RUNTIME: {
      NAME: row.name,
      ID: row.id,
      ...(faas ? { FAAS: functionView(faas) } : {}),
      ...(daas ? { DAAS: functionView(daas) } : {}),
      SCHEDULING: row.scheduling ?? {},
      DEVICE_INFO: row.device_info ?? {},
      SERVICE_ID: row.service_id,
    },
  };
}

export type RuntimeView = ReturnType<typeof runtimeView>;
