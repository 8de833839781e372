import { z } from 'zod';
import { FLAVORS, QOS_LEVELS } from '../../db/apps';

/**
 * The create body as the seed sends it (and upstream's later fields): one schema validates it,
 * documents it and types it. Unknown keys are ignored, as upstream's JSON binding did.
 */

const portNumber = z.number().int().min(1).max(65535);
const protocol = z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(['TCP', 'UDP'])).default('TCP');
const count = (max: number) => z.number().int().min(1).max(max);

export const PortBody = z
  .object({ port: portNumber, targetPort: portNumber.optional(), protocol })
  .transform((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol }));

/** Service names prefix the app's variables (`MYSQL_HOST`), so they must make a variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EnvVarBody = z.object({
  name: z.string().regex(ENV_NAME, 'must be a variable name (letters, digits and _, not starting with a digit)').max(128),
  value: z.string().max(65_536),
});

export const ServiceBody = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'must be a letter then up to 39 letters, digits or _ (it prefixes variable names)'),
  dockerURL: z.string().min(1).max(512),
  replicasNumber: count(20).default(1),
  ports: z.array(PortBody).max(20).default([]),
  envVars: z.array(EnvVarBody).max(100).default([]),
});

/** What the builder clones: https://, http://, ssh:// (with a host) or file:// URLs, or scp-like `user@host:path`. */
const GIT_URL = /^((https?|ssh):\/\/[^/\s]+\S*|file:\/\/\S+|[\w.~-]+@[\w.-]+:(?!\/\/)\S+)$/;

const flavorMessage = `must be one of ${FLAVORS.join(', ')}`;

export const CreateAppBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((n) => !n.includes('.'), "Name can't contain dots"),
    gitURL: z.string().regex(GIT_URL, 'must be a git URL (https://…, ssh://…, user@host:path or file://…)').max(2048),
    flavor: z.enum(FLAVORS, { error: (issue) => (issue.input === undefined ? `is required (${flavorMessage})` : flavorMessage) }),
    ports: z.array(PortBody).max(20).default([]),
    replicasNumber: count(20).default(1),
    numberOfInstances: count(20).default(1),
    secretName: z.string().min(1).max(128).optional(),
    qualityOfService: z.enum(QOS_LEVELS).nullish(),
    cloudRepository: z.boolean().default(false),
    cdnConnector: z.boolean().default(false),
    turnServerActivate: z.boolean().default(false),
    turnServerUrl: z.string().min(1).max(512).nullish(),
    turnServerUsername: z.string().min(1).max(256).nullish(),
    turnServerPassword: z.string().min(1).max(256).nullish(),
    stunServerActivate: z.boolean().default(false),
    stunServerIp: z.string().min(1).max(256).nullish(),
    stunServerPort: z
      .union([z.string().regex(/^\d{1,5}$/, 'must be a port number'), portNumber])
      .transform(String)
      .refine((p) => Number(p) >= 1 && Number(p) <= 65535, 'must be a port number (1-65535)')
      .nullish(),
    scaleOutLimit: z.number().int().min(0).max(20).optional(),
    scaleOutThreshold: z.number().min(0).max(100_000).optional(),
    /** The seed's names of scaleOutLimit and scaleOutThreshold. */
    scaleInOut: z.number().int().min(0).max(20).optional(),
    scale_out_threshold: z.number().min(0).max(100_000).optional(),
    services: z.array(ServiceBody).max(10).default([]),
  })
  .superRefine((body, ctx) => {
    const agree = (a: number | undefined, b: number | undefined, fields: [string, string]) => {
      if (a !== undefined && b !== undefined && a !== b) ctx.addIssue({ code: 'custom', path: [fields[0]], message: `disagrees with ${fields[1]} (${b})` });
    };
    agree(body.scaleOutLimit, body.scaleInOut, ['scaleOutLimit', 'scaleInOut']);
    agree(body.scaleOutThreshold, body.scale_out_threshold, ['scaleOutThreshold', 'scale_out_threshold']);
    if (body.stunServerActivate && (!body.stunServerIp || !body.stunServerPort)) {
      ctx.addIssue({ code: 'custom', path: [body.stunServerIp ? 'stunServerPort' : 'stunServerIp'], message: 'Is mandatory to specify Stun server address and Stun server port' });
    }
    if (body.turnServerActivate && !body.turnServerUrl) {
      ctx.addIssue({ code: 'custom', path: ['turnServerUrl'], message: 'is required when turnServerActivate is true' });
    }
    const names = body.services.map((s) => s.name.toUpperCase());
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `duplicates service ${body.services[names.indexOf(n)]!.name}` });
    });
  })
  .transform(({ scaleInOut, scale_out_threshold, ...body }) => ({
    ...body,
    scaleOutLimit: body.scaleOutLimit ?? scaleInOut ?? 0,
    scaleOutThreshold: body.scaleOutThreshold ?? scale_out_threshold ?? 0,
  }));

export type CreateAppRequest = z.infer<typeof CreateAppBody>;

/** POST /multipledelete: the ids of the apps to delete. */
export const MultipleDeleteBody = z.array(z.string().min(1).max(64)).min(1).max(100);

/** POST /secret: a private key for git over SSH. */
export const CreateSecretBody = z.object({
  projectName: z.string().max(128).optional(),
  privateKey: z.string().min(1).max(16_384).refine((k) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k), 'must be a PEM private key'),
});
