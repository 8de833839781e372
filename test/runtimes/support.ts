import type { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

export type SrResponse = { json(): Promise<any> } & Response;

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const ADMIN = basic('admin', 'admin');

/** A Provision Engine client over the real API app (HTTP Basic, JSON bodies). */
export function srClient(stack: Stack, authorization: string | null = ADMIN) {
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<SrResponse> => {
    const h = new Headers(headers);
    if (authorization) h.set('authorization', authorization);
    if (body !== undefined) h.set('content-type', 'application/json');
    const body_ = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return Promise.resolve(stack.app.request(path, { method, headers: h, body: body_ })) as Promise<SrResponse>;
  };
  return {
    request,
    get: (path: string) => request('GET', path),
    post: (path: string, body: unknown, headers?: Record<string, string>) => request('POST', path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => request('PUT', path, body, headers),
    delete: (path: string) => request('DELETE', path),
  };
}
export type SrClient = ReturnType<typeof srClient>;

type Sr = { NAME: string; ID: number; FAAS: any; DAAS?: any; SCHEDULING: any; DEVICE_INFO: any; SERVICE_ID: number };

export async function getRuntime(sr: SrClient, id: number): Promise<Sr> {
  const res = await sr.get(`/serverless-runtimes/${id}`);
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()).SERVERLESS_RUNTIME;
}

const roles = (r: Sr) => [r.FAAS, ...(r.DAAS ? [r.DAAS] : [])];

/** Waits until every function of the runtime is in `state` (and, for RUNNING, has its endpoint). */
export async function waitForState(sr: SrClient, id: number, state: string, timeoutMs = 20_000): Promise<Sr> {
  return waitFor(async () => {
    const r = await getRuntime(sr, id);
    return roles(r).every((f) => f.STATE === state && (state !== 'RUNNING' || f.ENDPOINT)) ? r : undefined;
  }, timeoutMs);
}

export async function createRuntime(sr: SrClient, spec: Record<string, unknown>): Promise<Sr> {
  const res = await sr.post('/serverless-runtimes', { SERVERLESS_RUNTIME: spec });
  if (res.status !== 201) throw new Error(`POST: ${res.status} ${await res.text()}`);
  return (await res.json()).SERVERLESS_RUNTIME;
}

/** The cloud VM behind a function (the API's VM_ID is the platform's own integer). */
export async function cloudVmOf(stack: Stack, runtimeId: number, role: 'FAAS' | 'DAAS' = 'FAAS') {
  const fn = await stack.db
    .selectFrom('runtime_functions')
    .selectAll()
    .where('runtime_id', '=', runtimeId)
    .where('role', '=', role)
    .executeTakeFirstOrThrow();
  return fn.cloud_vm_id ? stack.cloud.getVm(fn.cloud_vm_id) : null;
}

export async function operationsOf(stack: Stack, runtimeId: number) {
  return stack.db
    .selectFrom('operations')
    .selectAll()
    .where('resource_id', '=', `runtime/${runtimeId}`)
    .orderBy('created_at')
    .execute();
}

export const supervisorId = (stack: Stack, runtimeId: number) => `${stack.config.WORKFLOW_ID_PREFIX}runtime/${runtimeId}/supervisor`;

/** The supervisor starts right after the last function turns RUNNING: wait for it. */
export async function supervisorOf(stack: Stack, runtimeId: number) {
  const handle = stack.temporal.workflow.getHandle(supervisorId(stack, runtimeId));
  const description = await waitFor(() => handle.describe().catch(() => undefined));
  return { handle, description };
}
