/** 'a.b.c.d' of a 32-bit number. */
export const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/**
 * An IPv4 range handing out one address at a time. A counter (persisted by the owner) walks the
 * range so a released address is not reused soon; addresses loaded from Postgres are claimed.
 */
export class Ipv4Pool {
  private inUse = new Set<string>();

  private counter = 0;

  /** `first`: the first address handed out; `size`: how many the range holds from there. */
  constructor(
    private readonly first: number,
    private readonly size: number,
  ) {}

  get position(): number {
    return this.counter;
  }

  /** Continues from a persisted position. */
  resumeAt(position: number): void {
    this.counter = position;
  }

  claim(address: string): void {
    this.inUse.add(address);
  }

  allocate(): string {
    if (this.inUse.size >= this.size) throw new Error(`address range ${dotted(this.first)}/+${this.size} is exhausted`);
    for (;;) {
      const address = dotted(this.first + (this.counter++ % this.size));
      if (this.inUse.has(address)) continue;
      this.inUse.add(address);
      return address;
    }
  }

  release(address: string): void {
    this.inUse.delete(address);
  }

  /** The 0-based offset of an address inside the range (for derived addresses such as an IPv6 twin). */
  offsetOf(address: string): number {
    const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    return n - this.first;
  }
}
