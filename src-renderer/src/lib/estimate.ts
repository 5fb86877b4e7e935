/**
 * What the launcher proposes on this machine and how long a run would take.
 *
 * Defaults: on a CPU backend (or one not known yet) a full-width ResNet-50 on all of CIFAR-10 takes days, so the launcher
 * starts from the reduced CPU profile of `dwswap reproduce` (1/16 width, 80 train / 40 test images
 * per class, batch 40, 12 epochs; about ten minutes for the whole study on two cores, README
 * Results); on a GPU backend it keeps the full model and data.
 *
 * Estimate: training images x epochs / the training speed (images per second) this host recorded
 * for a finished run on the same backend and width. No such run, no estimate: the launcher says so
 * rather than guess. Test evaluations and setup come on top, so it is a lower bound.
 */
import type { EpochMetrics, ProtocolKind, RunSummary } from '@contract';

/** Backends that compute on the CPU (tfjs-node without CUDA, pure JS, wasm). */
const CPU_BACKENDS = new Set(['cpu', 'tensorflow', 'wasm']);

export function isCpuBackend(name: string | null | undefined): boolean {
  return !!name && CPU_BACKENDS.has(name);
}

export interface MachineDefaults {
  widthDivisor: number;
  trainPerClass: number;
  testPerClass: number;
  batchSize: number;
  epochs: number;
  /** Why these, for the launcher to show. */
  reason: string;
}

/**
 * The launcher's starting point for a host whose backend is `backend`: null (the full model and
 * data) on a GPU backend; the reduced CPU profile on a CPU one, and while the backend is unknown
 * (the host learns it with its first run), since a CPU run of the full model would take days.
 */
export function machineDefaults(backend: string | null): MachineDefaults | null {
  if (backend && !isCpuBackend(backend)) return null;
  const reason = backend
    ? `sized for the ${backend} backend (the reduced CPU profile: 1/16 width, 80 / 40 images per class); the full model on all images would take days here`
    : 'sized for a CPU (the reduced CPU profile: 1/16 width, 80 / 40 images per class) until the host reports its backend with its first run; on a GPU, use full width and all images';
  return {
    widthDivisor: 16,
    trainPerClass: 80,
    testPerClass: 40,
    batchSize: 40,
    epochs: 12,
    reason,
  };
}

/** Images per second of a run's trained epochs (median), or null when it trained none. */
export function recordedSpeed(epochs: readonly EpochMetrics[]): number | null {
  const rates = epochs
    .filter((e) => e.epoch > 0 && e.samplesPerSec > 0)
    .map((e) => e.samplesPerSec)
    .sort((a, b) => a - b);
  if (rates.length === 0) return null;
  const mid = Math.floor(rates.length / 2);
  return rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/** The newest finished run on `backend` at `widthDivisor` whose speed can stand for the new run's. */
export function speedSource(runs: readonly RunSummary[], backend: string, widthDivisor: number): RunSummary | null {
  const like = runs.filter(
    (r) => r.status === 'done' && r.widthDivisor === widthDivisor && (r.final?.backend ?? r.backend) === backend,
  );
  return like.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null;
}

export interface EstimateInput {
  protocol: ProtocolKind;
  epochs: number;
  fineTuneEpochs: number;
  secondPass: boolean;
  /** Training images of one epoch. */
  trainImages: number;
}

/** Seconds of training, as [low, high] (greedy's second pass is unknown until its first ends). */
export function estimateSeconds(o: EstimateInput, imagesPerSecond: number): [number, number] {
  const perEpoch = o.trainImages / imagesPerSecond;
  if (o.protocol === 'greedy') {
    const first = 16 * o.fineTuneEpochs * perEpoch;
    return [first, o.secondPass ? 2 * first : first];
  }
  return [o.epochs * perEpoch, o.epochs * perEpoch];
}

/** Training images per epoch: the per-class slice times the classes, capped by what the dataset has. */
export function trainImages(perClass: number, dataset: { train: number; classes: number } | null): number | null {
  if (!dataset || dataset.classes === 0) return null;
  const have = Math.floor(dataset.train / dataset.classes);
  return Math.min(perClass > 0 ? perClass : have, have) * dataset.classes;
}
