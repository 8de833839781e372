import { z } from 'zod';
import { clientToken, labels, labelSelector, regionName } from '../kernel/schema';

/**
 * Container deployments, their pods and services: the HTTP bodies simcloud validates and the
 * objects it answers with. cloud/contract.ts derives its types from these (one source).
 */
/** A DNS label: lower-case letters, digits and dashes (names become pod and service hostnames). */
const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a DNS label (a-z, 0-9 and "-", starting and ending with a letter or digit)');
/** CPU in cores; fractions down to a thousandth (millicores), as Kubernetes requests. */
const cpu = z.number().min(0.001).max(4096).refine((n) => Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6, 'at most 3 decimals');
const memoryMb = z.number().int().min(1).max(64 * 1024 * 1024);

export const portSchema = z.object({
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});

export const createDeploymentBody = z.object({
  clientToken,
  name: dnsLabel,
  /** An image reference: a registry image or one a simcloud build produced. */
  image: z.string().min(1).max(512),
  replicas: z.number().int().min(0).max(1000),
  cpu,
  memoryMb,
  ports: z.array(portSchema).max(64).default([]),
  /** Container environment. simcloud keeps only the names: values never appear in logs or answers. */
  env: z.record(z.string().min(1).max(256), z.string().max(65536)).default({}),
  command: z.array(z.string().max(4096)).max(256).optional(),
  region: regionName.optional(),
  /** Host labels that must match (KEY → value), as for VMs. */
  requirements: labels.optional(),
  /** Pods sharing a spread group avoid sharing a host while other hosts have room (anti-affinity). */
  spreadGroup: z.string().min(1).max(256).optional(),
  /**
   * Expose the pods behind a service: `<name>.<namespace>.svc.cluster.local` inside the cluster
   * and, with routeHost, an external route hostname.
   */
  service: z
    .object({ name: dnsLabel, namespace: dnsLabel, routeHost: z.string().min(1).max(253).optional() })
    .optional(),
  /**
   * The deployment's own KEY → value labels (bounded like a VM's context), kept and answered as
   * given: who owns it, e.g. the platform's `PROVISIO_OWNER` mark. `GET /deployments?label=` filters by them.
   */
  labels: labels.optional(),
});

export const scaleDeploymentBody = z.object({ replicas: z.number().int().min(0).max(1000) });

export const listDeploymentsQuery = z.object({
  region: regionName.optional(),
  spreadGroup: z.string().min(1).optional(),
  /** `KEY=VALUE`, or `KEY` for any value: only deployments with that label. */
  label: labelSelector.optional(),
});
export const listPodsQuery = z.object({ deploymentId: z.string().min(1).optional(), hostId: z.string().min(1).optional() });

export const podStates = ['pending', 'running', 'crashloop', 'failed', 'deleted'] as const;
export const deploymentStates = ['progressing', 'available', 'degraded', 'deleted'] as const;

export const podSchema = z.object({
  id: z.string(),
  name: z.string(),
  deploymentId: z.string(),
  region: z.string(),
  hostId: z.string(),
  state: z.enum(podStates),
  image: z.string(),
  cpu: z.number(),
  memoryMb: z.number(),
  /** Assigned when the pod is placed; released when it is deleted. */
  ipv4: z.string().nullable(),
  restarts: z.number().int(),
  /** Why the pod is failed or crash-looping. */
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
});

export const serviceSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  /** Stable in-cluster DNS name: `<name>.<namespace>.svc.cluster.local`. */
  dnsName: z.string(),
  clusterIp: z.string(),
  ports: z.array(portSchema),
  /** External route hostname, when one was asked for. */
  routeHost: z.string().nullable(),
});

export const deploymentSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  state: z.enum(deploymentStates),
  image: z.string(),
  replicas: z.number().int(),
  /** Pods running now. */
  readyReplicas: z.number().int(),
  cpu: z.number(),
  memoryMb: z.number(),
  ports: z.array(portSchema),
  /** Names of the environment variables (values are never returned). */
  envKeys: z.array(z.string()),
  command: z.array(z.string()).nullable(),
  requirements: labels,
  spreadGroup: z.string().nullable(),
  service: serviceSchema.nullable(),
  /** As created (`{}` when none were given). */
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
