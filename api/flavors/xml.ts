import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { HttpError } from '../errors';
import type { FlavorSyncDocument, FlavorView } from './schemas';

/**
 * The blueprint's XML, both ways (upstream's lxml shapes): a flavor is
 * `<flavor id="…"><name/><vcpus/><ram/><disk/><swap/><promoted/><public/><node/>…</flavor>`, a
 * collection `<flavors><flavor …/>…</flavors>`, an infrastructure `<infrastructure><name/>…`, the
 * regions `<infrastructures><infrastructure id="…"><name/></infrastructure>…</infrastructures>`,
 * an error `<error><message/></error>`. Requests become the JSON shape, so one zod schema checks both.
 */

type Kind = 'integer' | 'boolean';

/** Elements whose text is a number or a boolean; everything else stays a string. Repeated `<node>` becomes `nodes`. */
const TYPED_ELEMENTS: Record<string, Kind> = { vcpus: 'integer', ram: 'integer', disk: 'integer', swap: 'integer', public: 'boolean', promoted: 'boolean' };
const BOOLEANS: Record<string, boolean> = { true: true, '1': true, false: false, '0': false }; // xs:boolean

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, jpath) => String(jpath).endsWith('.node'),
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, indentBy: '  ' });

const badXml = (message: string) => new HttpError(400, 'invalid_request', message);

/** A value of the right kind, or the text as it was (the schema then rejects it, naming the field). */
function typed(kind: Kind | undefined, value: unknown): unknown {
  if (typeof value !== 'string' || !kind) return value;
  if (kind === 'integer') return /^-?\d{1,10}$/.test(value) ? Number(value) : value;
  return BOOLEANS[value] ?? value;
}

function requestFields(element: unknown): unknown {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return element;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(element)) {
    if (name === 'node') fields.nodes = value;
    else fields[name] = typed(TYPED_ELEMENTS[name], value);
  }
  return fields;
}

/** An XML request body in the JSON shape: `<flavor>…</flavor>` → `{flavor: {…}}`. Malformed XML (or a DOCTYPE) is a 400. */
export function fromXml(text: string): unknown {
  if (/<!DOCTYPE/i.test(text)) throw badXml('Malformed XML: a DOCTYPE is not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badXml(`Malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const parsed = parser.parse(text) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([root, element]) => [root, requestFields(element)]));
}

/** `<flavor id="…">` with the fields in the view's order (name … public), then one `<node>` per region. */
const flavorElement = ({ id, nodes, ...fields }: FlavorView) => ({ '@id': id, ...fields, node: nodes });

function xmlTree(doc: FlavorSyncDocument): Record<string, unknown> {
  if ('flavor' in doc) return { flavor: flavorElement(doc.flavor) };
  if ('flavors' in doc) return { flavors: { flavor: doc.flavors.map(flavorElement) } };
  if ('infrastructure' in doc) return { infrastructure: { name: doc.infrastructure.name } };
  if ('Infrastructures' in doc) return { infrastructures: { infrastructure: doc.Infrastructures.map((i) => ({ '@id': i.id, name: i.name })) } };
  return { error: { message: doc.error.message } };
}

export function toXml(doc: FlavorSyncDocument): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(xmlTree(doc)) as string}`;
}
