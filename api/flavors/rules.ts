import type { Db } from '../../db/connection';
import { flavorError } from './errors';

export interface Flags {
  public: boolean;
  promoted: boolean;
}

export const PRIVATE: Flags = { public: false, promoted: false };

/**
 * The flags after a request, by flavor-sync's rules: private → public (publish) → promoted, both
 * irreversible. Promoted and private in one request is a 400, un-publishing or un-promoting a 409,
 * promoting a flavor that is not (or does not become) public a 400.
 */
export function nextFlags(current: Flags, requested: Partial<Flags>): Flags {
  if (requested.promoted === true && requested.public === false) throw flavorError(400, 'A flavor cannot be promoted and private');
  if ((current.public && requested.public === false) || (current.promoted && requested.promoted === false)) {
    throw flavorError(409, 'A flavor cannot be unpublished or unpromoted');
  }
  const next = { public: current.public || requested.public === true, promoted: current.promoted || requested.promoted === true };
  if (next.promoted && !next.public) throw flavorError(400, 'A flavor must be public to be promoted: publish it first, or in the same request');
  return next;
}

/** Every node must be a registered infrastructure: an unknown one is the blueprint's 409, before anything starts. */
export async function requireRegistered(db: Db, nodes: readonly string[]): Promise<void> {
  if (!nodes.length) return;
  const known = new Set((await db.selectFrom('flavor_infrastructures').select('name').where('name', 'in', nodes).execute()).map((r) => r.name));
  const unknown = nodes.filter((n) => !known.has(n));
  if (unknown.length) throw flavorError(409, `The node ${unknown.join(', ')} does not exist (register it with POST /v1/infrastructures)`);
}
