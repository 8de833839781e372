import { createHash } from 'node:crypto';

/**
 * The configuring step, simulated at simcloud's level. Upstream ran the product's orchestrator
 * (a Fabric fabfile) on a control host: it read the cluster from the registry, connected to each
 * node at its first network address, defined one Fabric role per service and ran the `start`
 * task. simcloud pods execute no code, so this step does what can be done honestly without
 * running the script: it builds the same inventory from the running nodes, checks the script
 * against it (every `@roles('…')` it uses must be a service of the cluster, every node must be
 * reachable), and records per service which task would run on which node and address.
 */

export interface OrchestratedNode {
  name: string;
  address: string | null;
  host: string | null;
}

export interface OrchestratedService {
  name: string;
  nodes: string[];
}

export interface OrchestratorRun {
  /** The product version's orchestrator script; null when none was uploaded. */
  script: string | null;
  clusterdn: string;
  nodes: OrchestratedNode[];
  services: OrchestratedService[];
}

export interface OrchestratorOutcome {
  /** Lines printed for each service, by service name. */
  output: Record<string, string[]>;
  /** Why configuring failed; absent when it succeeded. */
  failure?: string;
}

/** Role names a fabfile's decorators use: `@roles('a', "b")` opening a line (not in a docstring's prose). */
export function rolesUsedBy(script: string): string[] {
  const roles = new Set<string>();
  for (const decorator of script.matchAll(/^[ \t]*@roles\(([^)]*)\)/gm)) {
    for (const quoted of decorator[1]!.matchAll(/['"]([^'"]+)['"]/g)) roles.add(quoted[1]!);
  }
  return [...roles];
}

export function runOrchestrator(run: OrchestratorRun): OrchestratorOutcome {
  const output: Record<string, string[]> = Object.fromEntries(run.services.map((s) => [s.name, [] as string[]]));
  const everyService = (line: string) => Object.values(output).forEach((lines) => lines.push(line));
  if (run.script === null) {
    everyService('no orchestrator registered for this product version: nothing to configure');
    return { output };
  }
  const digest = createHash('sha256').update(run.script).digest('hex').slice(0, 12);
  const lineCount = run.script.split('\n').length - (run.script.endsWith('\n') ? 1 : 0);
  everyService(`orchestrator sha256:${digest} (${lineCount} lines), CLUSTERDN=${run.clusterdn}`);

  const unreachable = run.nodes.filter((n) => !n.address).map((n) => n.name);
  const services = new Set(run.services.map((s) => s.name));
  const unknownRoles = rolesUsedBy(run.script).filter((r) => !services.has(r));
  const failure = unreachable.length
    ? `the orchestrator cannot reach node ${unreachable.join(', ')}: no address`
    : unknownRoles.length
      ? `the orchestrator uses role ${unknownRoles.map((r) => `'${r}'`).join(', ')}, but the cluster has no such service`
      : undefined;
  if (failure) {
    everyService(`failed: ${failure}`);
    return { output, failure };
  }

  const byName = new Map(run.nodes.map((n) => [n.name, n]));
  for (const service of run.services) {
    const lines = output[service.name]!;
    const members = service.nodes.map((name) => byName.get(name)!);
    lines.push(`roledefs['${service.name}'] = [${members.map((n) => n.address).join(', ')}]`);
    for (const node of members) lines.push(`[${node.address}] start: service ${service.name} on node ${node.name} (host ${node.host ?? 'unknown'})`);
    lines.push(members.length ? `done: ${members.length} node(s) configured` : 'done: the service has no nodes');
  }
  return { output };
}
