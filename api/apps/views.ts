import type { Selectable } from 'kysely';
import { injectedEnv, type AppMediaServersTable, type AppServicesTable, type AppsTable, type EnvVar } from '../../db/apps';
import type { Config } from '../../lib/config';
import { unsealEnv } from '../../activities/apps/sealed';

export type AppRow = Selectable<AppsTable>;
export type ServiceRow = Selectable<AppServicesTable>;
export type MediaServerRow = Selectable<AppMediaServersTable>;

const DATE = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  second: '2-digit',
  hour12: true,
  timeZone: 'UTC',
});

/** Dates as upstream's JSON wrote them: "Oct 19, 2016 12:37:20 PM" (UTC here). */
export function seedDate(date: Date): string {
  const p = Object.fromEntries(DATE.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.month} ${p.day}, ${p.year} ${p.hour}:${p.minute}:${p.second} ${p.dayPeriod}`;
}

/** Upstream's JSON left out null fields. */
const present = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

export interface ViewOptions {
  /** Project names by id. */
  projectNames: Map<string, string>;
  /**
   * Whether env var values are shown (the seed's shape) or masked: they are the user's secrets,
   * shown to members who may change the app, masked for guests.
   */
  revealEnv: boolean;
}

export const MASK = '******';

/**
 * The git URL as answered: credentials in it masked (an http(s) user, often the token itself, and
 * any password), as simcloud's builds do; the build clones with the URL as given.
 */
export function shownGitUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw; // scp-like `user@host:path`: a login, no secret
  }
  const web = u.protocol === 'http:' || u.protocol === 'https:';
  if (!u.password && !(web && u.username)) return raw;
  if (u.password) u.password = MASK;
  if (web && u.username) u.username = MASK;
  return u.toString();
}

export function mediaServerView(h: MediaServerRow): { floatingIp?: string; hostname: string; id: string; status: MediaServerRow['status'] } {
  return { ...(h.floating_ip ? { floatingIp: h.floating_ip } : {}), hostname: h.hostname, id: h.id, status: h.status };
}

/** An app in the seed's shape (keys in its order), with `error` when FAILED; the TURN password is never shown. */
export function appView(config: Config, app: AppRow, services: ServiceRow[], hosts: MediaServerRow[], options: ViewOptions) {
  const mask = (vars: EnvVar[]) => (options.revealEnv ? vars : vars.map((v) => ({ name: v.name, value: MASK })));
  const opened = services.map((s) => ({ row: s, envVars: mask(unsealEnv(config, s.env_sealed)) }));
  // The app gets its services' variables once its resources are up (upstream filled them then).
  const envVars = app.resource_ok ? injectedEnv(opened.map((s) => ({ name: s.row.name, osName: s.row.os_name, envVars: s.envVars })), app.project_id) : [];
  return present({
    cdnConnector: app.cdn_connector,
    cloudRepository: app.cloud_repository,
    createdAt: seedDate(app.created_at),
    createdBy: app.created_by,
    envVars,
    error: app.status === 'FAILED' ? app.error : null,
    flavor: app.flavor,
    gitURL: shownGitUrl(app.git_url),
    id: app.id,
    mediaServerGroup: { hosts: hosts.map(mediaServerView), id: app.media_server_group_id, nsdID: app.nsd_id, nsrID: app.nsr_id },
    name: app.name,
    numberOfInstances: app.number_of_instances,
    osName: app.os_name,
    podList: [...app.pods, ...services.flatMap((s) => s.pods)].map((p) => p.name),
    ports: app.ports,
    projectId: app.project_id,
    projectName: options.projectNames.get(app.project_id) ?? app.project_id,
    qualityOfService: app.quality_of_service,
    replicasNumber: app.replicas_number,
    resourceOK: app.resource_ok,
    route: app.route,
    scaleOutLimit: app.scale_out_limit,
    scaleOutThreshold: app.scale_out_threshold,
    secretName: app.secret_name,
    services: opened.map(({ row: s, envVars: vars }) => ({
      dockerURL: s.docker_url,
      envVars: vars,
      id: s.id,
      name: s.name,
      osName: s.os_name,
      podList: s.pods.map((p) => p.name),
      ports: s.ports,
      projectId: app.project_id,
      replicasNumber: s.replicas_number,
      route: s.route,
      status: s.status,
    })),
    status: app.status,
    stunServerActivate: app.stun_server_activate,
    stunServerIp: app.stun_server_ip,
    stunServerPort: app.stun_server_port,
    turnServerActivate: app.turn_server_activate,
    turnServerUrl: app.turn_server_url,
    turnServerUsername: app.turn_server_username,
  });
}
