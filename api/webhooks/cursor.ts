/** Opaque page cursors over (created_at, id), newest first. */
export function encodePageCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

/** The position a cursor stands for; null when the text is not one of ours. */
export function decodePageCursor(cursor: string): { at: Date; id: string } | null {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { at: new Date(match[1]!), id: match[2]! } : null;
}
