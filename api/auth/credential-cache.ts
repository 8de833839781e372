import { createHmac, randomBytes } from 'node:crypto';
import { verifyPassword } from '../../lib/passwords';

/**
 * Remembers for a short while that a password matched a stored password hash, so HTTP Basic
 * (checked on every request) costs one scrypt per credential and minute instead of one per request.
 *
 * An entry is the fact "this password verifies against this stored hash", nothing about the user:
 * - it is keyed by an HMAC (with a random key of this process) of the stored hash and the password,
 *   so the password itself is never kept, and memory shows no unsalted digest of it;
 * - a password change stores a new hash (new salt), so the old entry can never match again — in
 *   every API process at once, with nothing to invalidate;
 * - whether the user exists, is disabled or is an admin is read from the users row on every request
 *   (`authenticatePassword`), so a delete, a disable or a demotion takes effect at the next request;
 * - a wrong password is never remembered;
 * - entries expire after `ttlMs` and the least recently used goes beyond `maxEntries`.
 */
export interface CredentialCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export const CREDENTIAL_CACHE_TTL_MS = 60_000;
export const CREDENTIAL_CACHE_MAX_ENTRIES = 1_000;

export class VerifiedCredentials {
  private readonly key = randomBytes(32);
  /** Digest → expiry; Map order is least recently used first. */
  private readonly expiries = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? CREDENTIAL_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? CREDENTIAL_CACHE_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.expiries.size;
  }

  /** `verifyPassword`, answered from memory when this password verified against this hash lately. */
  async verify(password: string, storedHash: string): Promise<boolean> {
    if (this.has(password, storedHash)) return true;
    const ok = await verifyPassword(password, storedHash);
    if (ok) this.remember(password, storedHash);
    return ok;
  }

  /** Whether this password verified against this hash within the TTL (and marks it recently used). */
  has(password: string, storedHash: string): boolean {
    const digest = this.digest(password, storedHash);
    const expiry = this.expiries.get(digest);
    if (expiry === undefined) return false;
    this.expiries.delete(digest);
    if (expiry <= this.now()) return false;
    this.expiries.set(digest, expiry);
    return true;
  }

  /** Only for a password that verified against `storedHash`. */
  remember(password: string, storedHash: string): void {
    const digest = this.digest(password, storedHash);
    this.expiries.delete(digest);
    this.expiries.set(digest, this.now() + this.ttlMs);
    while (this.expiries.size > this.maxEntries) this.expiries.delete(this.expiries.keys().next().value!);
  }

  private digest(password: string, storedHash: string): string {
    // Length-prefixed, so no (hash, password) pair can collide with another's concatenation.
    return createHmac('sha256', this.key).update(`${storedHash.length}:${storedHash}:`).update(password).digest('base64url');
  }
}

/** The process-wide cache `authenticatePassword` uses. */
export const verifiedCredentials = new VerifiedCredentials();
