import type { Vm } from '../contract';

type Addresses = Vm['addresses'];

const V4_BASE = 0x0a000000; // 10.0.0.0/8, private pool
const V4_SIZE = 2 ** 24 - 4;
const EXT_BASE = 0x64400000; // 100.64.0.0/10, stands in for public addresses
const EXT_SIZE = 2 ** 22 - 4;

const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/**
 * The DHCP/IPAM pool: hands out an ipv4 (private), ipv6 (ULA) and external address per lease.
 * A persisted counter walks the pools so addresses are not reused soon after release.
 */
export class AddressPool {
  private inUse = new Set<string>();

  constructor(private counter = 0) {}

  get position(): number {
    return this.counter;
  }

  /** Marks addresses loaded from Postgres as taken. */
  claim(a: Addresses): void {
    if (a.ipv4) this.inUse.add(a.ipv4);
    if (a.external) this.inUse.add(a.external);
  }

  allocate(): Addresses {
    for (;;) {
      const n = this.counter++;
      const ipv4 = dotted(V4_BASE + 2 + (n % V4_SIZE));
      const external = dotted(EXT_BASE + 2 + (n % EXT_SIZE));
      if (this.inUse.has(ipv4) || this.inUse.has(external)) continue;
      this.inUse.add(ipv4);
      this.inUse.add(external);
      const ipv6 = `fd00:5c::${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
      return { ipv4, ipv6, external };
    }
  }

  release(a: Addresses): void {
    if (a.ipv4) this.inUse.delete(a.ipv4);
    if (a.external) this.inUse.delete(a.external);
  }
}

export const noAddresses = (): Addresses => ({ ipv4: null, ipv6: null, external: null });
