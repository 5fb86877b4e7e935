/**
 * Where each epoch record of a run sits on a chart's x axis, and the phases it belongs to.
 *
 * x counts training epochs: a record of a phase that trains nothing (ours' "svd+bn" measurement,
 * epoch 0) sits at the count before it (0 for ours: before any distillation), never at "epoch 1".
 */
import type { EpochMetrics } from '@contract';

/** Engine phase ids -> what a reader calls them. Greedy phases ("conv2_1 (pass 1)") stay as they are. */
const PHASE_NAMES: Record<string, string> = {
  'svd+bn': 'SVD + BN',
  distill: 'distillation',
  train: 'training',
  finetune: 'fine-tuning',
};

export function phaseName(phase: string): string {
  return PHASE_NAMES[phase] ?? phase;
}

/** A record of an epoch that trained (a measurement-only record has epoch 0). */
export function trained(e: EpochMetrics): boolean {
  return e.epoch > 0;
}

/** The x of each record: training epochs completed up to and including it, plus `offset`. */
export function epochPositions(epochs: readonly EpochMetrics[], offset = 0): number[] {
  let done = offset;
  return epochs.map((e) => (trained(e) ? ++done : done));
}

export interface PhaseSegment {
  phase: string;
  name: string;
  /** x before its first epoch and x of its last one (equal for a measurement-only phase). */
  from: number;
  to: number;
  /** Indices into the epoch records. */
  first: number;
  last: number;
}

/** Consecutive records of one phase, with their x span. */
export function phaseSegments(epochs: readonly EpochMetrics[], offset = 0): PhaseSegment[] {
  const xs = epochPositions(epochs, offset);
  const out: PhaseSegment[] = [];
  epochs.forEach((e, i) => {
    const last = out[out.length - 1];
    if (last && last.phase === e.phase) {
      last.to = xs[i];
      last.last = i;
    } else {
      const before = trained(e) ? xs[i] - 1 : xs[i];
      out.push({ phase: e.phase, name: phaseName(e.phase), from: before, to: xs[i], first: i, last: i });
    }
  });
  return out;
}

/** The x axis' name: one trained phase names itself ("distillation epoch"); several say so. */
export function epochAxisName(segments: readonly PhaseSegment[]): string {
  const trainedPhases = [...new Set(segments.filter((s) => s.to > s.from).map((s) => s.name))];
  if (trainedPhases.length === 1) return `${trainedPhases[0]} epoch`;
  return trainedPhases.length > 6 ? 'epoch (fine-tuning steps in order)' : 'epoch (all phases in order)';
}
