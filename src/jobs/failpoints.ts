// Fault injection for crash tests: when RETAIN_FAILPOINT names a point, the process kills itself
// there with SIGKILL (no cleanup, no flush), exactly as a power cut or OOM kill would.

export type Failpoint =
  /** An email or webhook went out; its outbox entry is not yet marked sent. */
  | 'after-send'
  /** A task step's transaction is written but not committed. */
  | 'before-task-commit'
  /** A case action was applied; the run has not yet recorded the step. */
  | 'after-action';

export function failpoint(name: Failpoint): void {
  if (process.env.RETAIN_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
