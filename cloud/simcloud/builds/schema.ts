import { z } from 'zod';
import { clientToken, labels, labelSelector } from '../kernel/schema';
import { gitUrlProblem } from './git-url';

/**
 * Image builds: a real `git clone` of a repository, then its Dockerfile "run" step by step into
 * a build log. cloud/contract.ts derives its types from these schemas.
 */
export const createBuildBody = z.object({
  clientToken,
  /** Names the image: `registry.simcloud/<name>:<short commit>`. */
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
  /** file://, http(s):// or ssh (user@host:path, ssh://) URL of a git repository. Credentials in it are never stored or logged. */
  gitUrl: z
    .string()
    .min(1)
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = gitUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** A branch, tag or commit; the remote's default branch when absent. */
  ref: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^-\s][^\s]*$/, 'must not start with "-" or contain spaces')
    .optional(),
  /** Path of the Dockerfile inside the repository. */
  dockerfilePath: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the repository')
    .default('Dockerfile'),
  /**
   * The private key for an ssh git URL (OpenSSH or PEM). Held in memory while the build waits or
   * clones, handed to ssh as a file only the builder can read inside the build's workspace (removed
   * with it), and never stored, logged or answered.
   */
  sshPrivateKey: z
    .string()
    .max(16_384)
    .regex(/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$/, 'must be a private key in OpenSSH or PEM form')
    .optional(),
  /** Simulated duration of each RUN step; simcloud's SIMCLOUD_BUILD_STEP_MS when absent. */
  runStepMs: z.number().int().min(0).max(600_000).optional(),
  /**
   * The build's own KEY → value labels (bounded like a VM's context), kept and answered as given:
   * who owns it, e.g. the platform's `PROVISIO_OWNER` mark. `GET /builds?label=` filters by them.
   */
  labels: labels.optional(),
});

export const listBuildsQuery = z.object({
  /** `KEY=VALUE`, or `KEY` for any value: only builds with that label. */
  label: labelSelector.optional(),
});

export const buildStates = ['queued', 'cloning', 'building', 'succeeded', 'failed', 'cancelled', 'deleted'] as const;

export const imageSchema = z.object({
  /** `registry.simcloud/<name>:<short commit>`; usable as a deployment's image. */
  ref: z.string(),
  /** EXPOSEd ports. */
  ports: z.array(z.object({ port: z.number().int(), protocol: z.enum(['TCP', 'UDP']) })),
  /** ENV of the image (from the Dockerfile; not secrets). */
  env: z.record(z.string(), z.string()),
  cmd: z.array(z.string()).nullable(),
  entrypoint: z.array(z.string()).nullable(),
  workdir: z.string().nullable(),
  baseImage: z.string(),
});

export const buildSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(buildStates),
  /** The git URL with any embedded credentials removed. */
  gitUrl: z.string(),
  ref: z.string().nullable(),
  /** Full commit hash, known once cloned. */
  commit: z.string().nullable(),
  dockerfilePath: z.string(),
  image: imageSchema.nullable(),
  error: z.string().nullable(),
  /** As created (`{}` when none were given). */
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
