/**
 * Where a job of several runs stands (run k of n) and its overall ETA, for `reproduce`.
 *
 * Each run weighs its planned training epochs; a finished run weighs what it actually trained
 * (a greedy run's second pass is known only when its first ends). The job's fraction is the
 * finished runs' weight plus the current run's fraction of its own, over the total; the ETA is the
 * elapsed time scaled by what is left, so it is an estimate that firms up as runs finish.
 */

export interface JobStep {
  label: string;
  /** Training epochs, planned, or trained once the run has finished. */
  weight: number;
}

/** 0..1 over the whole job while run `index` (0-based) is `runFraction` done. */
export function jobFraction(steps: readonly JobStep[], index: number, runFraction: number): number {
  const total = steps.reduce((s, x) => s + x.weight, 0);
  if (total <= 0) return 0;
  const done = steps.slice(0, index).reduce((s, x) => s + x.weight, 0);
  const f = Math.min(1, Math.max(0, runFraction));
  return Math.min(1, (done + (steps[index]?.weight ?? 0) * f) / total);
}

/** Seconds left, from the elapsed time and the fraction done; null until there is something to go by. */
export function jobEta(elapsedSeconds: number, fraction: number): number | null {
  if (!(fraction >= 0.005) || !(elapsedSeconds > 0)) return null;
  return (elapsedSeconds * (1 - fraction)) / fraction;
}

function duration(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  const m = Math.floor(t / 60);
  return m < 60
    ? `${m}m${String(t % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** "run 2/4 study's greedy protocol" */
export function jobPosition(steps: readonly JobStep[], index: number): string {
  return `run ${index + 1}/${steps.length} ${steps[index]?.label ?? ''}`.trim();
}

/** "job 37%, ETA ~6m10s (estimate)" */
export function jobStatus(
  steps: readonly JobStep[],
  index: number,
  runFraction: number,
  elapsedSeconds: number,
): string {
  const f = jobFraction(steps, index, runFraction);
  const eta = jobEta(elapsedSeconds, f);
  return `job ${(f * 100).toFixed(0)}%, ETA ${eta === null ? '?' : `~${duration(eta)}`} (estimate)`;
}
