import type { LogChunk } from '../../contract';
import type { Signals } from './timers';

/** What a log looks like right now (a build's stored lines, or a pod's derived ones). */
export interface LogSnapshot {
  /** Lines written so far. */
  total: number;
  lines(from: number, to: number): string[];
  /** No line will ever be added (the build ended, the pod is gone or failed). */
  ended: boolean;
  /** When the next line is due, if known (a pod's next periodic line); notify() covers the rest. */
  nextLineAt: number | null;
}

export interface LogRequest {
  offset: number;
  limit: number;
  waitMs: number;
}

/**
 * Reads lines from `offset`. With waitMs, long-polls: while the log is live and has nothing past
 * the offset, sleeps until the next line is due, the source notifies `signalKey`, or time is up.
 */
export async function readLog(snapshot: () => LogSnapshot, read: LogRequest, signals: Signals, signalKey: string): Promise<LogChunk> {
  const deadline = Date.now() + read.waitMs;
  for (;;) {
    const log = snapshot();
    const remaining = deadline - Date.now();
    if (log.total > read.offset || log.ended || remaining <= 0 || signals.isStopped) {
      const to = Math.min(log.total, read.offset + read.limit);
      const lines = read.offset < to ? log.lines(read.offset, to) : [];
      const nextOffset = read.offset + lines.length;
      return { offset: read.offset, lines, nextOffset, done: log.ended && nextOffset >= log.total };
    }
    const untilNextLine = log.nextLineAt === null ? remaining : Math.max(1, log.nextLineAt - Date.now());
    await signals.wait(signalKey, Math.min(remaining, untilNextLine));
  }
}
