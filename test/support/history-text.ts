/**
 * Every string in a workflow history, payloads decoded (their data is JSON bytes, which
 * JSON.stringify would render as numbers), so a search for a secret in it is meaningful.
 */
export function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return String(value);
}
