/**
 * A git remote as the builder uses it: `url` (with any credentials, handed to git only),
 * `safeUrl` (credentials removed: what is stored and logged) and `redact()` for git's output.
 */
export interface GitRemote {
  url: string;
  safeUrl: string;
  redact(text: string): string;
  /** The private key ssh authenticates with (ssh URLs), in memory only. */
  sshKey?: string;
}

/** `user@host:path`, git's scp-like ssh syntax (a user is required, to tell it from a local path). */
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/).+$/;
const SCHEMES = ['file:', 'http:', 'https:', 'ssh:'];

/** Why a git URL is not accepted, or null. */
export function gitUrlProblem(raw: string): string | null {
  if (SCP_LIKE.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be a file://, http(s)://, ssh:// or user@host:path git URL';
  }
  if (!SCHEMES.includes(u.protocol)) return `scheme ${u.protocol} is not supported (file, http, https, ssh)`;
  if (u.protocol !== 'file:' && !u.hostname) return 'needs a host';
  return null;
}

/**
 * Strips credentials: http(s) loses user and password (the user is often the token), ssh keeps
 * its login user and loses a password. Assumes gitUrlProblem(raw) is null.
 */
export function parseGitRemote(raw: string): GitRemote {
  if (SCP_LIKE.test(raw)) return { url: raw, safeUrl: raw, redact: (t) => t };
  const u = new URL(raw);
  const secrets = new Set<string>();
  const keep = new URL(raw);
  if (u.password) {
    secrets.add(u.password).add(decoded(u.password));
    keep.password = '';
  }
  if (u.username && (u.protocol === 'http:' || u.protocol === 'https:')) {
    secrets.add(u.username).add(decoded(u.username));
    keep.username = '';
  }
  const safeUrl = keep.toString();
  const ordered = [...secrets].filter(Boolean).sort((a, b) => b.length - a.length);
  return {
    url: raw,
    safeUrl,
    redact: (text) => ordered.reduce((t, secret) => t.split(secret).join('***'), text.split(raw).join(safeUrl)),
  };
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
