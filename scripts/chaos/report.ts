/** The printed summary of a chaos run (scripts/chaos.ts prints it; the README quotes it). */
import type { ChaosResult, SurfaceFigures } from './run';

const pad = (v: unknown, n: number) => String(v).padStart(n);
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '—');

export function formatResult(r: ChaosResult): string[] {
  const o = r.options;
  const out: string[] = [];
  out.push(
    `chaos run ${r.runId}: ${o.durationS} s of load by ${o.concurrency} clients over ${o.surfaces.join(', ')}; ` +
      `${o.apis} API + ${o.workers} worker processes, one Temporal dev server (SQLite file), one simcloud, seed ${o.seed}`,
  );
  out.push(
    `  machine: ${r.load.cpus} CPUs, load average ${r.load.mean} (${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)}); ` +
      `took ${r.seconds.total} s (start-up ${r.seconds.startup}, load ${r.seconds.load}, settle ${r.seconds.settle}, clean-up ${r.seconds.cleanup})`,
  );
  out.push('disruptions:');
  for (const e of r.events) out.push(`  [${pad(Math.round(e.at / 1000), 4)} s] ${e.what}`);
  out.push(
    `  simcloud faults fired: ${r.faults.lostResponses} lost responses, ${r.faults.capacity} capacity refusals, ${r.faults.errors} errors; ` +
      `workers that exited on their own: ${r.unexpectedExits.length ? r.unexpectedExits.join('; ') : 'none'}`,
  );

  out.push('');
  out.push('operations (the platform\'s own record: operations table + Temporal), duplicates and leaks:');
  const head = `  ${'surface'.padEnd(9)} ${pad('started', 8)} ${pad('completed', 10)} ${pad('failed', 7)} ${pad('no reason', 10)} ${pad('cancelled', 10)} ${pad('terminal', 9)} ${pad('stuck', 6)} ${pad('dupl.', 6)} ${pad('leaked', 7)} ${pad('dangling', 9)} ${pad('left', 5)}`;
  out.push(head);
  const row = (s: SurfaceFigures) => {
    const terminal = s.completed + s.failedWithReason + s.failedWithoutReason + s.cancelled + s.killed;
    return `  ${s.surface.padEnd(9)} ${pad(s.started, 8)} ${pad(s.completed, 10)} ${pad(s.failedWithReason + s.failedWithoutReason + s.killed, 7)} ${pad(s.failedWithoutReason, 10)} ${pad(s.cancelled, 10)} ${pad(pct(terminal, s.started), 9)} ${pad(s.stuck, 6)} ${pad(s.duplicates.length, 6)} ${pad(s.leaked.length, 7)} ${pad(s.dangling.length, 9)} ${pad(s.leftovers.length, 5)}`;
  };
  for (const s of r.surfaces) out.push(row(s));
  out.push(row(r.total));

  out.push('');
  out.push('clients (what callers saw):');
  out.push(`  ${'surface'.padEnd(9)} ${pad('lifecycles', 11)} ${pad('requests', 9)} ${pad('retried', 8)} ${pad('5xx', 5)} ${pad('replays', 8)} ${pad('mismatch', 9)} ${pad('cancels', 8)} ${pad('reconciled', 11)} ${pad('refused', 8)} ${pad('unanswered', 11)}`);
  for (const s of r.surfaces) {
    const c = s.client;
    if (!c) continue;
    out.push(
      `  ${s.surface.padEnd(9)} ${pad(`${c.lifecyclesFinished}/${c.lifecyclesStarted}`, 11)} ${pad(c.requests, 9)} ${pad(c.retries, 8)} ${pad(c.serverErrors, 5)} ${pad(c.replays, 8)} ${pad(c.replayMismatches.length, 9)} ${pad(c.cancels, 8)} ${pad(c.reconciled, 11)} ${pad(c.refused, 8)} ${pad(c.unanswered.length, 11)}`,
    );
  }

  out.push('');
  out.push('operations by type (started: completed / failed / cancelled / stuck) and the commonest failure reasons:');
  for (const s of r.surfaces) {
    if (!s.started) continue;
    const types = Object.entries(s.byType)
      .map(([t, c]) => `${t} ${c.started}: ${c.completed}/${c.failed}/${c.cancelled}/${c.stuck}`)
      .join(', ');
    out.push(`  ${s.surface}: ${types}`);
    for (const [reason, n] of s.reasons) out.push(`    ${pad(n, 4)} × ${reason}`);
  }
  const messages = r.surfaces.flatMap((s) => [...(s.client?.serverErrorMessages ?? new Map<string, number>())].map(([m, n]) => `${s.surface}: ${n} × ${m}`));
  if (messages.length) {
    out.push('5xx answers clients retried through (by message):');
    for (const m of messages.slice(0, 12)) out.push(`  ${m}`);
  }
  const refusals = r.surfaces.flatMap((s) => (s.client?.refusals ?? []).map((x) => `${s.surface}: ${x}`));
  if (refusals.length) {
    out.push(`refused requests (${r.surfaces.reduce((n, s) => n + (s.client?.refused ?? 0), 0)}; under chaos a refusal with a reason is fine), first ones:`);
    for (const x of refusals.slice(0, 10)) out.push(`  ${x}`);
  }

  out.push('');
  const fmt = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`cloud (simcloud /healthz live counts): before the load ${fmt(r.cloud.baseline)}`);
  out.push(`  after the clean-up ${r.cloud.diff.length ? fmt(r.cloud.end) : 'the same'}${r.cloud.diff.length ? ` — differs: ${r.cloud.diff.join(', ')}` : ''}`);
  out.push(`  ownership after the settle: ${r.ownership.objects} live objects checked against the rows that own them`);
  out.push('');
  if (r.problems.length) {
    out.push(`PROBLEMS (${r.problems.length}):`);
    for (const p of r.problems.slice(0, 60)) out.push(`  ${p}`);
    if (r.problems.length > 60) out.push(`  … and ${r.problems.length - 60} more`);
    if (r.evidence.length) {
      out.push(`evidence (operations per resource; workflow histories in ${r.evidenceDir}):`);
      for (const e of r.evidence) out.push(`  ${e}`);
    }
  } else {
    const t = r.total;
    out.push(`result: ${t.started} operations, 100 % terminal, 0 stuck, 0 duplicates, 0 leaks; cloud back to its starting counts`);
  }
  return out;
}
