import type { CreateRegionFlavorRequest, RegionEndpoint, RegionFlavor, RegionFlavorCatalog } from '../../contract';
import { seg, SimcloudHttp, type HttpClass, type SimcloudClientOptions } from '../kernel/http-client';

/** One region's flavor catalog over HTTP, with that region's credentials. */
export class HttpRegionFlavorCatalog extends SimcloudHttp implements RegionFlavorCatalog {
  private readonly base: string;

  constructor(endpoint: RegionEndpoint, opts: Pick<SimcloudClientOptions, 'timeoutMs'> = {}) {
    super(endpoint.url, { ...opts, credentials: { username: endpoint.username, password: endpoint.password } });
    this.base = `/regions/${seg(endpoint.region)}`;
  }

  async verifyCredentials(): Promise<void> {
    await this.request('GET', `${this.base}/auth`);
  }
  async listFlavors(): Promise<RegionFlavor[]> {
    return (await this.request<{ flavors: RegionFlavor[] }>('GET', `${this.base}/flavors`)).flavors;
  }
  getFlavor(id: string): Promise<RegionFlavor> {
    return this.request('GET', `${this.base}/flavors/${seg(id)}`);
  }
  createFlavor(req: CreateRegionFlavorRequest): Promise<RegionFlavor> {
    return this.request('POST', `${this.base}/flavors`, { body: req });
  }
  async deleteFlavor(id: string): Promise<void> {
    await this.request('DELETE', `${this.base}/flavors/${seg(id)}`);
  }
}

/** CloudBackend method for region flavor catalogs. */
export function RegionCatalogClient<B extends HttpClass>(Base: B) {
  return class RegionCatalogClient extends Base {
    regionCatalog(endpoint: RegionEndpoint): RegionFlavorCatalog {
      return new HttpRegionFlavorCatalog(endpoint, { timeoutMs: this.timeoutMs });
    }
  };
}
