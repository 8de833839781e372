import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestResponse } from '../support/http';
import type { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  run('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd });

/**
 * A bare git repository with one commit pushed from a temporary work tree, in place of the seed's
 * GitHub repository: its file:// URL. Without a Dockerfile when `dockerfile` is null.
 */
export async function gitRepository(files: { dockerfile?: string | null; extra?: Record<string, string> } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'provisio-apps-'));
  const bare = path.join(root, 'app.git');
  const work = path.join(root, 'work');
  await git(root, 'init', '--bare', bare);
  await git(root, 'init', work);
  const dockerfile =
    files.dockerfile === undefined
      ? 'FROM nubomedia/apps-baseimage:v1\nCOPY app.jar /opt/app.jar\nRUN echo preparing\nEXPOSE 8443\nENV APP_MODE=production\nCMD ["java", "-jar", "/opt/app.jar"]\n'
      : files.dockerfile;
  const contents: Record<string, string> = { 'README.md': '# magic mirror\n', 'app.jar': 'not really a jar\n', ...files.extra };
  if (dockerfile !== null) contents.Dockerfile = dockerfile;
  for (const [name, text] of Object.entries(contents)) await writeFile(path.join(work, name), text);
  await git(work, 'add', '.');
  await git(work, 'commit', '-m', 'the app');
  await git(work, 'push', bare, 'HEAD:refs/heads/main');
  await git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  return { url: `file://${bare}`, remove: () => rm(root, { recursive: true, force: true }) };
}

export const V1 = '/api/v1/nubomedia/paas';
export const V2 = '/api/v2/nubomedia/paas';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const CLIENT = basic('openbatonOSClient', 'secret');

/** POST /oauth/token as the seed's curl does it. */
export function tokenRequest(stack: Stack, form: Record<string, string>, client = CLIENT, at = '/oauth/token'): Promise<TestResponse> {
  return stack.request(at, {
    method: 'POST',
    headers: { authorization: client, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** A NUBOMEDIA PaaS client: a password-grant token, then Bearer + `project-id` on every call. */
export async function paasClient(stack: Stack, username = 'admin', password = 'admin', projectId: string | null = 'demo') {
  const res = await tokenRequest(stack, { username, password, grant_type: 'password' });
  if (res.status !== 200) throw new Error(`token for ${username}: ${res.status} ${await res.text()}`);
  const token = (await res.json()).value as string;
  const request = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> => {
    const h = new Headers({ authorization: `Bearer ${token}`, accept: 'application/json', ...(projectId ? { 'project-id': projectId } : {}), ...headers });
    if (body !== undefined) h.set('content-type', 'application/json');
    return stack.request(url, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  };
  return {
    token,
    request,
    get: (url: string, headers?: Record<string, string>) => request('GET', url, undefined, headers),
    post: (url: string, body?: unknown) => request('POST', url, body),
    put: (url: string) => request('PUT', url),
    delete: (url: string, headers?: Record<string, string>) => request('DELETE', url, undefined, headers),
  };
}
export type PaasClient = Awaited<ReturnType<typeof paasClient>>;

export async function getApp(paas: PaasClient, id: string) {
  const res = await paas.get(`${V1}/app/${id}`);
  if (res.status !== 200) throw new Error(`GET app ${id}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Waits until the app reaches `status` (fails early on FAILED when waiting for something else). */
export async function waitForStatus(paas: PaasClient, id: string, status: string, timeoutMs = 60_000) {
  return waitFor(async () => {
    const app = await getApp(paas, id);
    if (app.status === 'FAILED' && status !== 'FAILED') throw new Error(`app ${id} FAILED: ${app.error}`);
    return app.status === status ? app : undefined;
  }, timeoutMs, 100);
}

export async function createApp(paas: PaasClient, body: Record<string, unknown>) {
  const res = await paas.post(`${V1}/app`, body);
  if (res.status !== 200) throw new Error(`POST app: ${res.status} ${await res.text()}`);
  return (await res.json()).app;
}

/** The seed's create example, verbatim but for the repository URL. */
export function seedCreateBody(gitURL: string) {
  return {
    gitURL,
    name: 'nubo-magic-mirror',
    cloudRepository: true,
    cdnConnector: true,
    flavor: 'MEDIUM',
    ports: [
      { port: 8443, targetPort: 8443, protocol: 'TCP' },
      { port: 443, targetPort: 443, protocol: 'TCP' },
    ],
    replicasNumber: 2,
    numberOfInstances: 3,
    turnServerActivate: true,
    stunServerActivate: true,
    stunServerIp: '192.168.1.1',
    stunServerPort: '8080',
    turnServerUrl: 'localhost:8080',
    turnServerUsername: 'username',
    turnServerPassword: 'password',
    scaleInOut: 1,
    scale_out_threshold: 50,
    qualityOfService: 'GOLD',
    services: [
      {
        name: 'mysql',
        dockerURL: 'registry.access.redhat.com/openshift3/mysql-55-rhel7',
        replicasNumber: 1,
        ports: [{ port: 3306, targetPort: 3306, protocol: 'TCP' }],
        envVars: [
          { name: 'MYSQL_USER', value: 'test' },
          { name: 'MYSQL_PASSWORD', value: '1234' },
          { name: 'MYSQL_DATABASE', value: 'nubo' },
        ],
      },
    ],
  };
}

/** A small app: one media server, one pod, no services. */
export const smallApp = (gitURL: string, extra: Record<string, unknown> = {}) => ({ name: 'small', gitURL, flavor: 'SMALL', ports: [{ port: 8080 }], ...extra });

/** simcloud's live objects: what an app places must all come back to these. */
export async function liveCounts(stack: Stack) {
  const h = await stack.cloud.health();
  return { vms: h.vms, deployments: h.deployments, pods: h.pods, builds: h.builds, usedCpu: Math.round(h.usedCpu * 1000) / 1000, usedMemoryMb: h.usedMemoryMb };
}

export async function operationsOf(stack: Stack, appId: string) {
  return stack.db.selectFrom('operations').selectAll().where('resource_id', '=', `app/${appId}`).orderBy('created_at').execute();
}

/** Reads a Server-Sent Events stream to its end (or `limit` events): [{event, data, id}]. */
export async function readEvents(res: Response, limit = Infinity) {
  const events: Array<{ event: string; data: string; id?: string }> = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => l && !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).replace(/^ /, '')]),
      );
      if (fields.event || fields.data) events.push({ event: fields.event ?? 'message', data: fields.data ?? '', id: fields.id });
      if (events.length >= limit) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}
