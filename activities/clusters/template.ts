import nunjucks from 'nunjucks';
import YAML from 'yaml';
import type { TemplateType } from '../../db/clusters';
import { clusterDocumentSchema, describeDocumentIssues, type ClusterDocument } from './document';

/**
 * Product templates are Jinja2 (rendered by nunjucks, its JavaScript implementation) producing a
 * JSON or YAML cluster document. Templates come from catalog managers; options come from any
 * user, so what an option can make a template do is bounded: `range()` yields at most
 * MAX_RANGE items and the rendered document is at most MAX_OUTPUT characters.
 */
const MAX_RANGE = 10_000;
const MAX_OUTPUT = 1024 * 1024;

/** Why a template cannot be stored or rendered, naming the line where there is one. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** What a template is rendered with (upstream's context). */
export interface TemplateContext {
  opts: Record<string, unknown>;
  user: string;
  product: string;
  version: string;
  clusterdn: string;
  clusterid: string;
}

/** Jinja2's range(), bounded. */
function boundedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  [start, stop, step] = [Number(start), Number(stop), Number(step)];
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step) || step === 0) {
    throw new Error(`range(${start}, ${stop}, ${step}) needs finite numbers and a step other than 0`);
  }
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE) throw new Error(`range(${start}, ${stop}) would yield ${length} items; at most ${MAX_RANGE}`);
  return Array.from({ length }, (_, i) => start + i * step);
}

const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
environment.addGlobal('range', boundedRange);
environment.addFilter('tojson', (value: unknown) => JSON.stringify(value)); // Jinja2's tojson

/** " at line 3, column 7: unexpected token: %}" from nunjucks' "(template) [Line 3, Column 7]\n  unexpected token: %}". */
function explain(err: unknown, source: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const located = message.match(/\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/);
  const detail = (located ? located[3]! : message.replace(/^\([^)]*\)\s*/, '')).trim().replace(/^Error: /, '');
  if (located) return ` at line ${located[1]}, column ${located[2]}: ${detail}`;
  if (/unexpected end of file/.test(detail)) return ` at line ${source.split('\n').length} (end of template): ${detail}: a block is never closed`;
  return `: ${detail}`;
}

function compile(source: string): nunjucks.Template {
  try {
    return new nunjucks.Template(source, environment, 'template', true);
  } catch (err) {
    throw new TemplateError(`template syntax error${explain(err, source)}`);
  }
}

/** Throws a TemplateError naming the line when `source` is not a valid Jinja2 template. */
export function checkTemplateSyntax(source: string): void {
  compile(source);
}

/** "line 5, column 3" of a character offset. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

function parse(text: string, type: TemplateType): unknown {
  if (type === 'yaml+jinja2') {
    try {
      return YAML.parse(text);
    } catch (err) {
      throw new TemplateError(`the rendered template is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = message.match(/at position (\d+)/);
    throw new TemplateError(`the rendered template is not valid JSON${position ? ` at ${lineAndColumn(text, Number(position[1]))}` : ''}: ${message}`);
  }
}

/** Renders a product template into a validated cluster document; TemplateError says what went wrong. */
export function renderClusterDocument(source: string, type: TemplateType, context: TemplateContext): ClusterDocument {
  const template = compile(source);
  let text: string;
  try {
    text = template.render(context);
  } catch (err) {
    throw new TemplateError(`rendering failed${explain(err, source)}`);
  }
  if (text.length > MAX_OUTPUT) throw new TemplateError(`the rendered template has ${text.length} characters; at most ${MAX_OUTPUT}`);
  const parsed = clusterDocumentSchema.safeParse(parse(text, type));
  if (!parsed.success) throw new TemplateError(`the rendered document is invalid: ${describeDocumentIssues(parsed.error)}`);
  return parsed.data;
}
