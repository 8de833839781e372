import path from 'node:path';
import { DockerfileParser, type Instruction, type JSONInstruction, type PropertyInstruction } from 'dockerfile-ast';
import type { Image } from '../../contract';

/** The image a Dockerfile describes (what the final stage sets), before it gets a reference. */
export type ImageConfig = Omit<Image, 'ref'>;

/** One instruction, as the builder "runs" it. */
export interface DockerStep {
  keyword: string;
  /** For the `Step n/N : ...` log line; ENV and ARG values are elided. */
  text: string;
  /** FROM: the image or earlier stage it starts from. */
  from?: { image: string; stage: boolean };
  /** COPY/ADD: sources (build context paths, or URLs for ADD) into dest; `fromStage` for COPY --from. */
  copy?: { sources: string[]; dest: string; fromStage: string | null };
  /** RUN: simulated, takes time. */
  run?: boolean;
}

export interface DockerfilePlan {
  steps: DockerStep[];
  image: ImageConfig;
}

/** The Dockerfile cannot be built; the message names the line. */
export class DockerfileError extends Error {}

const KNOWN = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
const MAX_PORTS = 1024;

const collapse = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
const at = (i: Instruction) => `line ${i.getRange().start.line + 1}`;
const expanded = (i: Instruction) => i.getExpandedArguments().map((a) => a.getValue());

/** JSON (exec) form values, or null for the shell form. */
function execForm(i: JSONInstruction): string[] | null {
  return i.getOpeningBracket() && i.getClosingBracket() ? i.getJSONStrings().map((s) => s.getJSONValue()) : null;
}

/** CMD/ENTRYPOINT: exec form as given; shell form runs under /bin/sh -c, as Docker records it. */
function command(i: JSONInstruction): string[] {
  return execForm(i) ?? ['/bin/sh', '-c', collapse(i.getArgumentsContent())];
}

/** EXPOSE values: `80`, `80/tcp`, `53/udp`, `8000-8010/tcp`. */
function exposed(i: Instruction): Image['ports'] {
  return expanded(i).flatMap((arg) => {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/i.exec(arg);
    const from = Number(m?.[1]);
    const to = m?.[2] ? Number(m[2]) : from;
    if (!m || from < 1 || to > 65535 || to < from || to - from >= MAX_PORTS) throw new DockerfileError(`EXPOSE: invalid port ${arg} (${at(i)})`);
    const protocol = (m[3]?.toUpperCase() ?? 'TCP') as 'TCP' | 'UDP';
    return Array.from({ length: to - from + 1 }, (_, k) => ({ port: from + k, protocol }));
  });
}

/** ENV/ARG: the values are shown as '…' in the log (they can be secrets). */
function elided(keyword: string, i: PropertyInstruction): string {
  return `${keyword} ${i
    .getProperties()
    .map((p) => (p.getValue() === null ? p.getName() : `${p.getName()}=…`))
    .join(' ')}`;
}

/**
 * Reads a Dockerfile (parsed by dockerfile-ast) into the steps a build runs and the config of
 * the image it produces: the final stage's base image, ENV, EXPOSEd ports, CMD, ENTRYPOINT and
 * WORKDIR. A stage built FROM an earlier stage inherits its config. Pure: no file access.
 */
export function interpretDockerfile(text: string): DockerfilePlan {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const stages = new Map<string, ImageConfig>();
  const steps: DockerStep[] = [];
  let image: ImageConfig | null = null;

  for (const i of instructions) {
    const keyword = i.getKeyword();
    if (!KNOWN.has(keyword)) throw new DockerfileError(`unknown instruction ${i.getInstruction()} (${at(i)})`);
    const step: DockerStep = { keyword, text: collapse(`${keyword} ${i.getArgumentsContent() ?? ''}`) };
    steps.push(step);
    if (keyword === 'FROM') {
      const [ref, as, alias] = expanded(i);
      if (!ref) throw new DockerfileError(`FROM needs an image (${at(i)})`);
      const parent = stages.get(ref);
      image = parent ? structuredClone(parent) : { baseImage: ref, env: {}, ports: [], cmd: null, entrypoint: null, workdir: null };
      step.from = { image: ref, stage: parent !== undefined };
      if (as?.toUpperCase() === 'AS' && alias) stages.set(alias, image);
      continue;
    }
    if (keyword === 'ARG') {
      step.text = elided(keyword, i as PropertyInstruction);
      continue;
    }
    if (!image) throw new DockerfileError(`${keyword} before the first FROM (${at(i)})`);
    switch (keyword) {
      case 'ENV':
        for (const p of (i as PropertyInstruction).getProperties()) image.env[p.getName()] = p.getUnescapedValue() ?? '';
        step.text = elided(keyword, i as PropertyInstruction);
        break;
      case 'EXPOSE':
        for (const p of exposed(i)) if (!image.ports.some((q) => q.port === p.port && q.protocol === p.protocol)) image.ports.push(p);
        break;
      case 'CMD':
        image.cmd = command(i as JSONInstruction);
        break;
      case 'ENTRYPOINT':
        image.entrypoint = command(i as JSONInstruction);
        break;
      case 'WORKDIR': {
        const dir = expanded(i).join(' ');
        image.workdir = path.posix.resolve(image.workdir ?? '/', dir);
        break;
      }
      case 'COPY':
      case 'ADD': {
        const args = execForm(i as JSONInstruction) ?? expanded(i);
        if (args.length < 2) throw new DockerfileError(`${keyword} needs a source and a destination (${at(i)})`);
        const fromFlag = (i as JSONInstruction).getFlags().find((f) => f.getName() === 'from');
        step.copy = { sources: args.slice(0, -1), dest: args.at(-1)!, fromStage: fromFlag?.getValue() ?? null };
        break;
      }
      case 'RUN':
        step.run = true;
        break;
    }
  }
  if (!image) throw new DockerfileError('no FROM instruction');
  return { steps, image };
}
