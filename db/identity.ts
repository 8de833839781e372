import type { ColumnType, Generated } from 'kysely';

export type Role = 'admin' | 'manager' | 'member' | 'guest';
export type TokenKind = 'api' | 'session' | 'oauth_access' | 'oauth_refresh';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface UsersTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  default_project_id: string | null;
  disabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProjectsTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  user_id: string;
  project_id: string;
  role: Role;
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  /** sha256 of the token; the token itself is shown once and never stored. */
  token_hash: string;
  kind: TokenKind;
  name: string | null;
  project_id: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: CreatedAt;
}

export interface IdentityTables {
  users: UsersTable;
  projects: ProjectsTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
}
