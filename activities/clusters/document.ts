import { z } from 'zod';

/** More nodes than this in one cluster is almost certainly a runaway option (e.g. size: 100000). */
export const MAX_CLUSTER_NODES = 100;

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 characters of A-Z, a-z, 0-9, "_", "." or "-", starting with a letter or digit');
/** Free-form settings of a disk or network (destination, networkname, type…). */
const settings = z.record(z.string(), z.unknown());

const nodeSchema = z.looseObject({
  docker_image: z.string().min(1).max(512),
  /** Cores; fractions down to a thousandth, as the cloud's pods take them. */
  cpu: z
    .number()
    .positive()
    .max(4096)
    .refine((n) => Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6, 'at most 3 decimals'),
  /** Memory in MB. */
  mem: z.number().int().positive().max(64 * 1024 * 1024),
  disks: z.record(name, settings),
  networks: z.record(name, settings),
});

const serviceSchema = z.looseObject({ nodes: z.array(z.string()) });

/**
 * What a rendered product template must declare (upstream's registry layout): the cluster's
 * `dnsname`, its `nodes` (one container each) and its `services` (groups of nodes the orchestrator
 * configures together), and may name a `region`. Other keys of a node or service are kept as
 * its properties.
 */
export const clusterDocumentSchema = z
  .looseObject({
    dnsname: z.string().min(1).max(253),
    /** Optional: the cloud region every node runs in. */
    region: z.string().min(1).max(64).optional(),
    nodes: z.record(name, nodeSchema),
    services: z.record(name, serviceSchema),
  })
  .superRefine((doc, ctx) => {
    const count = Object.keys(doc.nodes).length;
    if (count === 0) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'declares no node' });
    if (count > MAX_CLUSTER_NODES) ctx.addIssue({ code: 'custom', path: ['nodes'], message: `declares ${count} nodes; at most ${MAX_CLUSTER_NODES}` });
    for (const [service, spec] of Object.entries(doc.services)) {
      spec.nodes.forEach((node, i) => {
        if (!(node in doc.nodes)) ctx.addIssue({ code: 'custom', path: ['services', service, 'nodes', i], message: `names node "${node}", which the template does not declare` });
      });
    }
  });

export type ClusterDocument = z.infer<typeof clusterDocumentSchema>;
export type NodeSpec = z.infer<typeof nodeSchema>;

/** "nodes.example0.cpu: Invalid input: expected number, received string; …" */
export function describeDocumentIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
}

/** Splits a node or service into the fields the platform uses and the rest (kept as properties). */
export function splitProperties<T extends Record<string, unknown>, K extends keyof T>(value: T, known: readonly K[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !(known as readonly string[]).includes(k)));
}
