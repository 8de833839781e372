import { z } from 'zod';

/**
 * Environment configuration, validated with zod at process start so a missing or bad variable
 * stops the process with a message naming it instead of failing later.
 */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  PROVISIO_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('provisio'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  /** Prefixes every workflow ID; lets several isolated deployments (or test files) share one Temporal namespace. */
  WORKFLOW_ID_PREFIX: z.string().default(''),
  /** A prebuilt workflow bundle (scripts or images build it once); without it the worker bundles at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  SIMCLOUD_URL: z.string().url().default('http://127.0.0.1:4100'),
  SIMCLOUD_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  /** Dev bootstrap admin password; production refuses to start without it. */
  ADMIN_PASSWORD: z.string().min(1).optional(),
  /** Key material for secrets stored at rest (AES-256-GCM); production requires it. */
  SECRET_KEY: z.string().min(16).optional(),
  /** How long a synchronous endpoint (Kahu start/stop, runtime PUT) waits before answering 202. */
  SYNC_WAIT_MS: z.coerce.number().int().min(0).default(120_000),
  /** How often cloud waits poll the backend. */
  CLOUD_POLL_MS: z.coerce.number().int().min(10).default(1000),
  /** Upper bound for one wait on a cloud resource (activity start-to-close). */
  CLOUD_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(10 * 60_000),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).default(12 * 3600),
  TRUST_PROXY: boolish.default(false),
  // operator features (issue 12): webhook delivery retries (10 attempts over ~1 h by default), the
  // event pump that detects closed operations and dispatches deliveries, and the worker's metrics endpoint.
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  WEBHOOK_INITIAL_BACKOFF_MS: z.coerce.number().int().min(10).default(10_000),
  WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(10).default(20 * 60_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Webhooks may target loopback and private addresses (lib/webhook-targets.ts); default: everywhere but production. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: boolish.optional(),
  EVENTS_POLL_MS: z.coerce.number().int().min(50).default(2000),
  EVENTS_OVERLAP_MS: z.coerce.number().int().min(0).default(60_000),
  EVENTS_PUMP_RUN_MS: z.coerce.number().int().min(1000).default(5 * 60_000),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** When set, /metrics of the API and the worker answer only `Authorization: Bearer <METRICS_TOKEN>` (lib/metrics-token.ts). */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Where the Temporal SDK's Prometheus exporter listens, read only by the worker's /metrics; a free local port when unset. */
  WORKER_SDK_METRICS_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').optional(),
  // apps (NUBOMEDIA PaaS): the OAuth client its token endpoint accepts, app routes, the media-server
  // manager address /server-ip/ answers, and the autoscaler's timing (upstream: 30 s period, 60 s cooldown, scale in at ≤ 60 points).
  APPS_OAUTH_CLIENT_ID: z.string().min(1).default('openbatonOSClient'),
  APPS_OAUTH_CLIENT_SECRET: z.string().min(1).default('secret'),
  APPS_ROUTE_DOMAIN: z.string().min(1).max(200).default('apps.provisio.local'),
  APPS_SERVER_IP: z.string().min(1).default('127.0.0.1'),
  APPS_AUTOSCALE_PERIOD_MS: z.coerce.number().int().min(10).default(30_000),
  APPS_AUTOSCALE_COOLDOWN_MS: z.coerce.number().int().min(0).default(60_000),
  APPS_AUTOSCALE_LOW_MARK: z.coerce.number().min(0).default(60),
  APPS_AUTOSCALE_TICKS_PER_RUN: z.coerce.number().int().min(1).default(120),
  // flavors (FIWARE flavor-sync): how often the reconcile schedule compares each flavor's recorded regions
  // with the regions' real catalogs; how long one region's install or removal keeps retrying before that
  // region counts as failed; and simcloud's region credentials, which `npm run dev` registers its regions with.
  FLAVORS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(20_000),
  FLAVORS_REGION_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  SIMCLOUD_USERNAME: z.string().min(1).default('simcloud'),
  SIMCLOUD_PASSWORD: z.string().min(1).default('simcloud-dev-secret'),
  /**
   * On SIGTERM: how long the API drains in-flight requests, and how long a worker lets running
   * activities finish before they are cancelled and handed back to Temporal. Keep it below the
   * orchestrator's kill timeout (Kubernetes terminationGracePeriodSeconds, Compose stop_grace_period).
   */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(15 * 60_000).default(20_000),
  /** A worker's /healthz and /readyz (for Kubernetes probes and Compose health checks); unset: none. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // reliability (issue 10): how often the instance supervisor compares every Kahu instance with its VM,
  // how often each domain's orphan sweeper compares the database with the cloud, and how old drift must
  // be before the sweeper acts on it (younger drift is an operation still in flight).
  COMPUTE_SUPERVISE_INTERVAL_MS: z.coerce.number().int().min(1000).default(10_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(5 * 60_000),
  SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(15 * 60_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid environment configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.PROVISIO_ENV === 'production') {
    const missing = (['DATABASE_URL', 'ADMIN_PASSWORD', 'SECRET_KEY'] as const).filter((k) => !config[k]);
    if (missing.length) throw new ConfigError(`Production requires ${missing.join(', ')} to be set`);
  }
  return config;
}

/** Loads config or exits with the validation message; for process entry points. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) {
    console.error('DATABASE_URL is required (npm run dev starts an embedded Postgres and sets it for you)');
    process.exit(2);
  }
  return config.DATABASE_URL;
}

/** Secret key used for encryption at rest; development falls back to a fixed, clearly non-secret key. */
export function secretKey(config: Config): string {
  return config.SECRET_KEY ?? 'provisio-development-only-secret-key';
}

export function adminPassword(config: Config): string | undefined {
  return config.ADMIN_PASSWORD ?? (config.PROVISIO_ENV === 'production' ? undefined : 'admin');
}

/** Whether webhooks may target this machine and private networks (receivers on the same host in development and tests). */
export function webhookPrivateTargetsAllowed(config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE_TARGETS' | 'PROVISIO_ENV'>): boolean {
  return config.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? config.PROVISIO_ENV !== 'production';
}
