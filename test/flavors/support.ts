import { expect } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import type { Role } from '../../db/identity';
import type { TestResponse } from '../support/http';
import { platformClient } from '../support/platform';
import type { Stack } from '../support/stack';

/** simcloud's region credentials (cloud/simcloud DEV_CREDENTIALS; the stack's simcloud keeps the defaults). */
export const REGION_USERNAME = 'simcloud';
export const REGION_PASSWORD = 'simcloud-dev-secret';

/** An API token of a user of project demo with `role` (admin: the bootstrap global admin). */
export async function tokenFor(stack: Stack, username: string, role: Role | 'global-admin'): Promise<string> {
  const password = `${username}-password-1`;
  const admin = platformClient(stack);
  if (role !== 'global-admin') {
    expect((await admin.post('/v1/users', { username, password, defaultProjectId: 'demo' })).status).toBe(201);
    const added = await admin.post('/v1/projects/demo/members', { username, role });
    expect([201, 409]).toContain(added.status);
  }
  const user = role === 'global-admin' ? platformClient(stack) : platformClient(stack, username, password);
  const res = await user.post('/v1/auth/tokens', { name: 'flavor-sync' });
  expect(res.status).toBe(201);
  return (await res.json()).token as string;
}

export type Format = 'json' | 'xml';

const MEDIA: Record<Format, string> = { json: 'application/json', xml: 'application/xml' };

/** A flavor-sync client: X-Auth-Token, and bodies and answers in JSON or XML; `answers` collects every answer's headers and body. */
export function flavorClient(stack: Stack, token: string | null, format: Format = 'json', answers?: string[]) {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> => {
    const h: Record<string, string> = { accept: MEDIA[format], ...headers };
    if (token) h['x-auth-token'] = token;
    let payload: string | undefined;
    if (body !== undefined) {
      // An object goes as JSON; a string (an XML document) in the client's format.
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= typeof body === 'string' ? MEDIA[format] : MEDIA.json;
    }
    const res = await stack.app.request(path, { method, headers: h, body: payload });
    answers?.push(JSON.stringify([...res.headers]), await res.clone().text());
    return res;
  };
  return {
    format,
    token,
    request,
    get: (path: string) => request('GET', path),
    post: (path: string, body: unknown, headers?: Record<string, string>) => request('POST', path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => request('PUT', path, body, headers),
    delete: (path: string) => request('DELETE', path),
    /** Reads the answer, expecting `status` (the body is in the failure message). */
    async expect(res: Response, status: number): Promise<string> {
      const text = await res.text();
      expect(res.status, text).toBe(status);
      return text;
    },
  };
}

export type FlavorClient = ReturnType<typeof flavorClient>;

/** Registers one of simcloud's regions as an infrastructure. */
export async function registerRegion(stack: Stack, client: FlavorClient, region: string, username = REGION_USERNAME, password = REGION_PASSWORD): Promise<void> {
  const res = await client.post('/v1/infrastructures', {
    infrastructure: { name: region, keystone_url: stack.simcloudUrl, username, password, tenant: 'demo' },
  });
  await client.expect(res, 201);
}

export const flavorBody = (name: string, extra: Record<string, unknown> = {}) => ({
  flavor: { name, vcpus: 2, ram: 2048, disk: 20, swap: 0, ...extra },
});

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: true, isArray: (name) => ['node', 'flavor', 'infrastructure'].includes(name) });

/** A flavor as the XML answer has it, in the JSON shape (so both formats compare alike). */
function flavorFromXml(f: Record<string, any>) {
  return {
    id: String(f['@id']),
    name: String(f.name),
    vcpus: f.vcpus,
    ram: f.ram,
    disk: f.disk,
    swap: f.swap,
    promoted: f.promoted,
    public: f.public,
    nodes: (f.node ?? []).map(String),
  };
}

/** The answer's document in the JSON shape, whichever format it came in (checking the Content-Type says which). */
export async function readDoc(res: Response, format: Format): Promise<any> {
  const text = await res.text();
  expect(res.headers.get('content-type'), text).toMatch(format === 'xml' ? /^application\/xml/ : /^application\/json/);
  if (format === 'json') return JSON.parse(text);
  const doc = xmlParser.parse(text);
  if (doc.flavors !== undefined) return { flavors: (doc.flavors?.flavor ?? []).map(flavorFromXml) };
  if (doc.flavor) return { flavor: flavorFromXml(doc.flavor[0]) };
  if (doc.infrastructures !== undefined) {
    return { Infrastructures: (doc.infrastructures?.infrastructure ?? []).map((i: any) => ({ id: String(i['@id']), name: String(i.name) })) };
  }
  if (doc.infrastructure) return { infrastructure: { name: String(doc.infrastructure[0].name) } };
  return { error: { message: String(doc.error?.message) } };
}
