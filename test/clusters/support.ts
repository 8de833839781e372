import type { TestResponse } from '../support/http';
import { platformClient } from '../support/platform';
import type { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

export const BASE = '/bigdata/api/v1';

/** A Provisio API token for a user, as `x-auth-token` carries it. */
export async function apiToken(stack: Stack, username = 'admin', password = 'admin', projectId?: string): Promise<string> {
  const res = await platformClient(stack, username, password).post('/v1/auth/tokens', { name: 'bigdata', ...(projectId ? { projectId } : {}) });
  if (res.status !== 201) throw new Error(`token for ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

/** A user with a default project, in which they hold `role`; returns their token. */
export async function userWithToken(stack: Stack, username: string, role: 'member' | 'manager' | 'guest' = 'member', project = 'demo'): Promise<string> {
  const admin = platformClient(stack);
  const password = `${username}-pass`;
  expect201(await admin.post('/v1/users', { username, password, defaultProjectId: project }));
  expect201(await admin.post(`/v1/projects/${project}/members`, { username, role }));
  return apiToken(stack, username, password);
}

function expect201(res: Response) {
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}`);
}

/** The BigData PaaS API as one token holder; bodies are JSON unless a content type is given. */
export function bigdata(stack: Stack, token: string | null) {
  const request = (method: string, path: string, body?: unknown, contentType?: string, extra: Record<string, string> = {}): Promise<TestResponse> => {
    const headers = new Headers(extra);
    if (token) headers.set('x-auth-token', token);
    if (body !== undefined) headers.set('content-type', contentType ?? 'application/json');
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return Promise.resolve(stack.app.request(`${BASE}${path}`, { method, headers, body: text }));
  };
  return {
    request,
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown, contentType?: string) => request('POST', path, body, contentType),
    put: (path: string, body: unknown, contentType?: string) => request('PUT', path, body, contentType),
    delete: (path: string, headers?: Record<string, string>) => request('DELETE', path, undefined, undefined, headers),
  };
}
export type Bigdata = ReturnType<typeof bigdata>;

/** Registers a product version with a template, options and (optionally) an orchestrator. */
export async function registerProduct(
  api: Bigdata,
  p: { name: string; version: string; template: string; templateType?: string; options?: unknown; orchestrator?: string },
): Promise<void> {
  const expect = async (what: string, res: Response, status: number) => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  };
  const path = `/products/${p.name}/${p.version}`;
  await expect('register', await api.post('/products', { name: p.name, version: p.version, description: `${p.name} ${p.version}` }), 201);
  await expect('template', await api.put(`${path}/template`, p.template, p.templateType ?? 'application/json'), 204);
  if (p.options) await expect('options', await api.put(`${path}/options`, p.options), 204);
  if (p.orchestrator) await expect('orchestrator', await api.put(`${path}/orchestrator`, p.orchestrator, 'text/x-python'), 204);
}

/** Launches and follows the queue to the cluster's URI (the queue answers 303 once registered). */
export async function launch(api: Bigdata, product: string, version: string, options: unknown = {}): Promise<{ queue: string; operation: string; uri: string }> {
  const res = await api.post(`/products/${product}/${version}`, options);
  if (res.status !== 202) throw new Error(`launch: ${res.status} ${await res.text()}`);
  const queue = res.headers.get('location')!;
  const operation = res.headers.get('operation-location')!;
  const uri = await waitFor(async () => {
    const q = await api.get(queue.slice(BASE.length));
    return q.status === 303 ? q.headers.get('location')! : undefined;
  });
  return { queue, operation, uri };
}

export async function clusterOf(api: Bigdata, uri: string) {
  const res = await api.get(uri.slice(BASE.length));
  if (res.status !== 200) throw new Error(`GET ${uri}: ${res.status} ${await res.text()}`);
  return (await res.json()).data;
}

/** Waits until the cluster reaches one of `statuses`. */
export function waitForStatus(api: Bigdata, uri: string, ...statuses: string[]) {
  return waitFor(async () => {
    const data = await clusterOf(api, uri);
    return statuses.includes(data.status) ? data : undefined;
  }, 30_000);
}

export async function nodesOf(api: Bigdata, uri: string) {
  return (await (await api.get(`${uri.slice(BASE.length)}/nodes`)).json()).nodes;
}

export async function servicesOf(api: Bigdata, uri: string) {
  return (await (await api.get(`${uri.slice(BASE.length)}/services`)).json()).services;
}

/** Live pods and capacity in use, from simcloud itself. */
export async function cloudUsage(stack: Stack) {
  const h = await stack.cloud.health();
  const hosts = await stack.cloud.listHosts();
  return {
    pods: h.pods,
    deployments: h.deployments,
    usedCpu: h.usedCpu,
    usedMemoryMb: h.usedMemoryMb,
    hosts: Object.fromEntries(hosts.map((x) => [x.id, { usedCpu: x.usedCpu, usedMemoryMb: x.usedMemoryMb }])),
  };
}

// ---- fixtures: upstream's reference product (tests/templates, tests/options), fixed where upstream was broken

/** Upstream's minimal.json, verbatim. */
export const MINIMAL_JSON = `{% set comma = joiner(",") %}
{
  "dnsname": "{{ clusterid }}",
  "nodes": {
      {% for n in range(0, opts['size']) %}
      {{ comma() }} "example{{ n }}": {
          "docker_image": "centos:7.1.1503",
          "cpu": 1,
          "mem": 4096,
          "disks": {
              "disk4": { "destination": "/storage1" },
              "disk5": { "destination": "/storage2" }
          },
          "networks": {
              "eth0": { "type": "dynamic", "networkname": "admin" },
              "eth1": { "type": "dynamic", "networkname": "storage" }
          }
      }
      {% endfor %}
  },
  "services": {
      "service1": {
          "nodes": [{% set comma = joiner(",") %}{% for n in range(0, opts['size']) %}{{ comma() }}"example{{ n }}"{% endfor %}]
      }
  }
}
`;

/** Upstream's minimal.yaml with its indentation fixed (upstream nested networks under disks and services under nodes). */
export const MINIMAL_YAML = `dnsname: {{ clusterid }}
nodes:
  {% for n in range(0, opts['size']) %}
  example{{ n }}:
    docker_image: centos:7.1.1503
    cpu: {{ opts['cpu'] }}
    mem: 2048
    disks:
      disk4: {destination: /storage1}
    networks:
      storage: {type: dynamic}
      admin: {type: dynamic}
  {% endfor %}
services:
  service1:
    heap: 1024
    nodes:
      {% for n in range(0, opts['size']) %}
      - example{{ n }}
      {% endfor %}
`;

/** Upstream's tests/options/size.json. */
export const SIZE_OPTIONS = { required: {}, optional: { size: 2 }, advanced: {}, descriptions: { size: 'number of worker nodes' } };

/** A fabfile in upstream's style: one role per service. */
export const FABFILE = `from fabric.api import *

@task
@runs_once
def start():
    execute(configure_service)

@task
@roles('service1')
def configure_service():
    run('hostname')
`;
