import Table from 'cli-table3';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

/** Where results go: JSON for scripts (`--json`), tables for people. */
export class Output {
  constructor(readonly json: boolean) {}

  print(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Notes for people (never part of --json output). */
  note(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  data(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }

  table<T>(rows: T[], columns: Column<T>[], raw: unknown = rows): void {
    if (this.json) return this.data(raw);
    if (!rows.length) return this.print('(none)');
    const table = new Table({ head: columns.map((c) => c.header), style: { head: [], border: [] } });
    for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
    this.print(table.toString());
  }

  /** One object as a two-column table (nested values as JSON). */
  record(value: Record<string, unknown>, raw: unknown = value): void {
    if (this.json) return this.data(raw);
    const table = new Table({ style: { head: [], border: [] } });
    for (const [k, v] of Object.entries(value)) table.push({ [k]: cell(v) });
    this.print(table.toString());
  }
}
