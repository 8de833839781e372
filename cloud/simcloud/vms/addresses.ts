import type { Vm } from '../../contract';
import { Ipv4Pool } from '../kernel/ipv4-pool';
import type { Store } from '../kernel/store';

type Addresses = Vm['addresses'];

// 10.0.0.0/9 is the VMs' private pool (10.128.0.0/14 is the pods'); 100.64.0.0/10 stands in for public addresses.
const PRIVATE = { first: 0x0a000002, size: 2 ** 23 - 4 };
const EXTERNAL = { first: 0x64400002, size: 2 ** 22 - 4 };

/**
 * The VMs' DHCP/IPAM: a lease is a private IPv4, its IPv6 (ULA) twin, and an external address.
 * The pools' positions are persisted so addresses are not reused soon after release.
 */
export class VmAddresses {
  private readonly private = new Ipv4Pool(PRIVATE.first, PRIVATE.size);
  private readonly external = new Ipv4Pool(EXTERNAL.first, EXTERNAL.size);

  constructor(private readonly store: Store) {}

  /** After Store.load(): continue where the pools were. */
  restore(): void {
    this.private.resumeAt(this.store.getMeta<number>('leaseCounter') ?? 0);
    this.external.resumeAt(this.store.getMeta<number>('externalLeaseCounter') ?? 0);
  }

  /** Marks addresses loaded from Postgres as taken. */
  claim(a: Addresses): void {
    if (a.ipv4) this.private.claim(a.ipv4);
    if (a.external) this.external.claim(a.external);
  }

  lease(): Addresses {
    const ipv4 = this.private.allocate();
    const external = this.external.allocate();
    this.store.setMeta('leaseCounter', this.private.position);
    this.store.setMeta('externalLeaseCounter', this.external.position);
    const n = this.private.offsetOf(ipv4);
    return { ipv4, ipv6: `fd00:5c::${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`, external };
  }

  release(a: Addresses): void {
    if (a.ipv4) this.private.release(a.ipv4);
    if (a.external) this.external.release(a.external);
  }
}

export const noAddresses = (): Addresses => ({ ipv4: null, ipv6: null, external: null });
