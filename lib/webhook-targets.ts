import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may be sent. A project names any URL, and the worker that delivers sits inside
 * the platform's network: unchecked, a webhook could reach the cloud's metadata service, Postgres
 * or the Temporal frontend (server-side request forgery). Unless WEBHOOK_ALLOW_PRIVATE_TARGETS
 * (the default outside production, where receivers run on this machine), a target must resolve
 * only to public addresses: checked on registration for literal addresses and `localhost`, and
 * on every delivery after resolving the name (a name can be re-pointed after registration).
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** True for loopback, private, link-local, shared, multicast and unspecified addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: never trusted
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

/** Why a URL is refused without resolving it (a literal private address, or localhost), or null. */
export function refusedOnSight(url: string): string | null {
  const host = hostOf(url);
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (isIP(host) && isPrivateAddress(host)) return `${host} is a private address`;
  return null;
}

/** Why a delivery to `url` is refused once its name is resolved, or null when every address is public. */
export async function refusedTarget(url: string): Promise<string | null> {
  const onSight = refusedOnSight(url);
  if (onSight) return onSight;
  const host = hostOf(url);
  if (isIP(host)) return null;
  const addresses = await lookup(host, { all: true, verbatim: true });
  const inside = addresses.find((a) => isPrivateAddress(a.address));
  return inside ? `${host} resolves to a private address (${inside.address})` : null;
}
