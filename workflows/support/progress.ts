import { defineQuery, setHandler } from '@temporalio/workflow';

export type StepState = 'pending' | 'running' | 'completed' | 'failed' | 'compensated' | 'skipped';

export interface StepProgress {
  name: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
}

export interface OperationProgress {
  phase: 'running' | 'compensating' | 'completed' | 'failed';
  steps: StepProgress[];
  /** Which resource this operation acts on, e.g. "instance/42". */
  resource?: string;
  error?: string;
}

/** The `progress` query every workflow answers; the operations API reads steps through it. */
export const progressQuery = defineQuery<OperationProgress>('progress');

const now = () => new Date(Date.now()).toISOString(); // Date.now() is deterministic inside workflows

/**
 * Tracks a workflow's named steps for the `progress` query. Declare steps up front so a caller
 * sees what is still to come, then wrap each in `run`.
 */
export class Progress {
  private readonly state: OperationProgress;

  constructor(stepNames: string[], resource?: string) {
    this.state = { phase: 'running', steps: stepNames.map((name) => ({ name, state: 'pending' })), resource };
    setHandler(progressQuery, () => this.state);
  }

  private step(name: string): StepProgress {
    let s = this.state.steps.find((x) => x.name === name);
    if (!s) {
      s = { name, state: 'pending' };
      this.state.steps.push(s);
    }
    return s;
  }

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const s = this.step(name);
    s.state = 'running';
    s.startedAt = now();
    try {
      const result = await fn();
      s.state = 'completed';
      s.endedAt = now();
      return result;
    } catch (err) {
      s.state = 'failed';
      s.endedAt = now();
      s.detail = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  skip(name: string, detail?: string): void {
    const s = this.step(name);
    s.state = 'skipped';
    s.detail = detail;
  }

  note(name: string, detail: string): void {
    this.step(name).detail = detail;
  }

  compensating(): void {
    this.state.phase = 'compensating';
  }

  compensated(name: string): void {
    const s = this.step(name);
    s.state = 'compensated';
    s.endedAt = now();
  }

  completed(): void {
    this.state.phase = 'completed';
  }

  failed(error: string): void {
    this.state.phase = 'failed';
    this.state.error = error;
  }

  get snapshot(): OperationProgress {
    return this.state;
  }
}
