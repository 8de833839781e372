import type { IdentityTables } from './identity';
import type { OperationTables } from './operations';
import type { ComputeTables } from './compute';
import type { RuntimeTables } from './runtimes';
import type { AppTables } from './apps';
import type { FlavorTables } from './flavors';
import type { ClusterTables } from './clusters';
import type { OperatorTables } from './webhooks';

/** Every table the platform owns, one interface per domain. simcloud keeps its own schema. */
export interface Database extends IdentityTables, OperationTables, ComputeTables, RuntimeTables, AppTables, FlavorTables, ClusterTables, OperatorTables {}
