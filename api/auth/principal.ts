import type { Role } from '../../db/identity';

/** The authenticated caller, whatever auth style its surface uses. */
export interface Principal {
  userId: string;
  username: string;
  isAdmin: boolean;
  defaultProjectId: string | null;
  /** The token (session, API or OAuth) that authenticated this request, when one did. */
  tokenId: string | null;
  /**
   * Set when that token is scoped to one project: the caller then reaches only that project,
   * whatever its memberships (see access.ts).
   */
  tokenProjectId?: string | null;
}

/** Roles ordered by what they may do. */
export const ROLE_RANK: Record<Role, number> = { guest: 0, member: 1, manager: 2, admin: 3 };
