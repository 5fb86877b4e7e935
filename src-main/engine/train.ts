/**
 * The training loop: a custom loop over data resident on the backend, with augmentation on the
 * backend, no per-batch read-back (loss and accuracy are summed as tensors and read only when a
 * progress event is due), cancellation between batches, and a hook at each epoch's end for
 * checkpoints. Every random choice derives from (seed, epoch, batch), so a run resumed from an
 * epoch checkpoint continues exactly as the uninterrupted run would have.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics, OptimiserConfig, ProgressEvent } from '../contract';
import { augmentBatch } from './data';
import type { TensorData } from './data/tensors';
import { yieldToLoop } from './data/types';
import { categoricalCrossEntropy, correctCount, distillationLoss, learningRateAt, setLearningRate } from './optim';
import { evaluate } from './metrics';

export type { TensorData };

/** The loop's part of the contract's progress event (the run's fraction and ETA come from the protocol, the run id from the host). */
export type TrainProgress = Omit<ProgressEvent, 'type' | 'runId' | 'fraction' | 'etaSeconds'>;

export interface TrainOptions {
  phase: string;
  epochs: number;
  /** First epoch to run (0-based); earlier ones are taken as done (resuming from a checkpoint). */
  startEpoch?: number;
  batchSize: number;
  /** Stop each epoch after this many batches (benchmarks time a fixed number of steps); default all. */
  maxBatches?: number;
  seed: number;
  optimiser: tf.Optimizer;
  optimiserConfig: OptimiserConfig;
  augment: boolean;
  /** Distil from this teacher (probability outputs) instead of plain cross-entropy. */
  teacher?: tf.LayersModel;
  distill?: { temperature: number; alpha: number };
  /** Evaluate on this set after each epoch. */
  test?: TensorData;
  signal?: AbortSignal;
  /** Minimum seconds between progress events (each costs one read-back). */
  progressInterval?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Called after each completed epoch, e.g. to write a checkpoint. */
  onEpochEnd?: (epoch: number, metrics: EpochMetrics) => Promise<void> | void;
}

export interface TrainResult {
  epochs: EpochMetrics[];
  cancelled: boolean;
}

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mixSeed(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) {
    h ^= p >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

/** Fisher-Yates permutation of 0..n-1 from a seed. */
export function permutation(n: number, seed: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  size: number;
}

function makeBatch(data: TensorData, order: Int32Array, start: number, size: number, augment: boolean, seed: number): Batch {
  return tf.tidy(() => {
    const idx = tf.tensor1d(order.subarray(start, start + size), 'int32');
    const x = tf.gather(data.x, idx) as tf.Tensor4D;
    return { x: augment ? augmentBatch(x, seed) : x, y: tf.gather(data.y, idx) as tf.Tensor2D, size };
  });
}

/**
 * The model's trainable variables in layer order. Passing them explicitly to minimize() keeps the
 * optimiser's slot order tied to the model (not to every variable the process ever created), so a
 * checkpointed optimiser state restores onto a rebuilt model.
 */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** One optimiser step; returns the batch's summed loss and correct count as tensors (no read-back). */
function step(model: tf.LayersModel, batch: Batch, opts: TrainOptions, vars: tf.Variable[]): { loss: tf.Scalar; correct: tf.Scalar } {
  const target = opts.teacher ? tf.tidy(() => opts.teacher!.predict(batch.x) as tf.Tensor2D) : null;
  let correct: tf.Scalar | null = null;
  const loss = opts.optimiser.minimize(() => {
    const probs = model.apply(batch.x, { training: true }) as tf.Tensor2D;
    correct = tf.keep(correctCount(batch.y, probs));
    if (target && opts.distill) return distillationLoss(batch.y, probs, target, opts.distill.temperature, opts.distill.alpha);
    return categoricalCrossEntropy(batch.y, probs);
  }, true, vars) as tf.Scalar;
  target?.dispose();
  const summed = tf.tidy(() => tf.mul(loss, batch.size)) as tf.Scalar;
  loss.dispose();
  return { loss: summed, correct: correct! };
}

class Meter {
  loss: tf.Scalar = tf.scalar(0);
  correct: tf.Scalar = tf.scalar(0);
  seen = 0;
  add(loss: tf.Scalar, correct: tf.Scalar, n: number): void {
    const [l, c] = [this.loss, this.correct];
    this.loss = tf.add(l, loss);
    this.correct = tf.add(c, correct);
    tf.dispose([l, c, loss, correct]);
    this.seen += n;
  }
  async read(): Promise<{ loss: number; acc: number }> {
    const [l, c] = await Promise.all([this.loss.data(), this.correct.data()]);
    return { loss: l[0] / Math.max(1, this.seen), acc: c[0] / Math.max(1, this.seen) };
  }
  dispose(): void {
    tf.dispose([this.loss, this.correct]);
  }
}

/** Trains `model` in place. Throws nothing on cancel: returns `cancelled: true` after the current batch. */
export async function train(model: tf.LayersModel, data: TensorData, opts: TrainOptions): Promise<TrainResult> {
  const n = data.x.shape[0];
  const batches = Math.min(Math.ceil(n / opts.batchSize), opts.maxBatches ?? Infinity);
  const start = opts.startEpoch ?? 0;
  const interval = (opts.progressInterval ?? 1) * 1000;
  const history: EpochMetrics[] = [];
  const vars = trainableVariables(model);
  for (let epoch = start; epoch < opts.epochs; epoch++) {
    const t0 = performance.now();
    const order = permutation(n, mixSeed(opts.seed, epoch));
    const meter = new Meter();
    let lastReport = t0;
    for (let b = 0; b < batches; b++) {
      if (opts.signal?.aborted) {
        meter.dispose();
        return { epochs: history, cancelled: true };
      }
      setLearningRate(opts.optimiser, learningRateAt(opts.optimiserConfig, epoch * batches + b, batches, opts.epochs * batches));
      const size = Math.min(opts.batchSize, n - b * opts.batchSize);
      const batch = makeBatch(data, order, b * opts.batchSize, size, opts.augment, mixSeed(opts.seed, epoch, b));
      const out = step(model, batch, opts, vars);
      tf.dispose([batch.x, batch.y]);
      meter.add(out.loss, out.correct, size);
      const now = performance.now();
      if (opts.onProgress && (now - lastReport >= interval || b === batches - 1)) {
        lastReport = now;
        const m = await meter.read();
        const rate = meter.seen / ((now - t0) / 1000);
        opts.onProgress({ phase: opts.phase, epoch, epochs: opts.epochs, batch: b + 1, batches, ...m, samplesPerSec: rate });
      }
      await yieldToLoop(); // let cancel requests and I/O in
    }
    const m = await meter.read();
    const seen = meter.seen;
    meter.dispose();
    const seconds = (performance.now() - t0) / 1000;
    const test = opts.test ? await evaluate(model, opts.test, Math.max(opts.batchSize, 128)) : null;
    const metrics: EpochMetrics = {
      phase: opts.phase,
      epoch: epoch + 1,
      loss: m.loss,
      trainAcc: m.acc,
      testAcc: test?.acc ?? null,
      testLoss: test?.loss ?? null,
      seconds,
      samplesPerSec: seen / seconds,
    };
    history.push(metrics);
    await opts.onEpochEnd?.(epoch, metrics);
  }
  return { epochs: history, cancelled: false };
}

/**
 * Re-estimates every BatchNormalization layer's moving statistics as the plain average over
 * `batches` training batches (momentum k/(k+1) on the k-th batch), without touching other weights.
 */
export async function recalibrateBatchNorm(model: tf.LayersModel, data: TensorData, batches: number, batchSize: number, seed: number): Promise<void> {
  const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as { momentum: number }[];
  const saved = bns.map((l) => l.momentum);
  const n = data.x.shape[0];
  const order = permutation(n, mixSeed(seed, 0xb17));
  const count = Math.min(batches, Math.floor(n / batchSize));
  for (let k = 0; k < count; k++) {
    for (const l of bns) l.momentum = k / (k + 1);
    const batch = makeBatch(data, order, k * batchSize, batchSize, false, 0);
    tf.tidy(() => model.apply(batch.x, { training: true }) as tf.Tensor);
    tf.dispose([batch.x, batch.y]);
    await yieldToLoop();
  }
  bns.forEach((l, i) => (l.momentum = saved[i]));
}
