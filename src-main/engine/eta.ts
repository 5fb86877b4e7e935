/**
 * The run's ETA, from the run fraction's pace since the protocol started (a resumed run starts part
 * way, so the pace is measured from the first fraction it reports). A phase's own ETA (one greedy
 * fine-tune, say) would say nothing about the run, so the training loop reports none.
 */
import type { EngineEvent, ProtocolEvent } from './run-context';

/** Fraction of the run that must be done before the pace is trusted. */
const MIN_DONE = 0.005;

export function runEta(emit: (e: EngineEvent) => void, now: () => number = () => performance.now()): (e: ProtocolEvent) => void {
  let first: { fraction: number; at: number } | null = null;
  return (e) => {
    if (e.type !== 'progress') return emit(e);
    const t = now();
    first ??= { fraction: e.fraction, at: t };
    const done = e.fraction - first.fraction;
    const etaSeconds = done <= MIN_DONE ? Number.NaN : ((t - first.at) / 1000) * ((1 - e.fraction) / done);
    emit({ ...e, etaSeconds });
  };
}
