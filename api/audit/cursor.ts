/** Opaque page cursors over a numeric, descending key (`id < cursor` is the next page). */
export function encodeCursor(id: number): string {
  return Buffer.from(`a:${id}`).toString('base64url');
}

/** The id a cursor stands for; null when the text is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^a:(\d{1,15})$/.exec(text);
  return match ? Number(match[1]) : null;
}
