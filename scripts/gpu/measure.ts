/**
 * The benchmark's two measurements, both through the engine's own code: training steps through
 * train() (with maxBatches, timed up to the read-back of their summed loss) and inference through
 * metrics.inferenceSeconds().
 */
import * as tf from '@tensorflow/tfjs';
import { OptimiserSchema, type OptimiserConfig } from '../../src-main/contract';
import { inferenceSeconds } from '../../src-main/engine/metrics';
import { createOptimiser } from '../../src-main/engine/optim';
import { train, type TensorData } from '../../src-main/engine/train';
import type { ModelKind, OptimiserName } from './options';
import { EPOCH_IMAGES, type InferenceResult, type TrainingResult } from './report';

/** Learning rates at batch 256; larger batches scale them (linear for SGD, square root for Adam/RMSprop). */
const BASE_LR: Record<OptimiserName, number> = { adam: 1e-3, rmsprop: 1e-3, sgd: 0.1 };
const BASE_BATCH = 256;

/** The optimiser for `batch`: learning rate scaled from batch 256, linear warm-up over one call's steps. */
export function optimiserFor(
  name: OptimiserName,
  batch: number,
): { config: OptimiserConfig; scaling: 'linear' | 'sqrt' } {
  const scaling = name === 'sgd' ? 'linear' : 'sqrt';
  const ratio = batch / BASE_BATCH;
  const learningRate = Math.min(10, BASE_LR[name] * (scaling === 'linear' ? ratio : Math.sqrt(ratio)));
  const config = OptimiserSchema.parse({
    preset: 'custom',
    name,
    learningRate,
    centered: name === 'rmsprop',
    momentum: name === 'sgd' ? 0.9 : 0,
    warmupEpochs: 1,
  });
  return { config, scaling };
}

export interface TrainingRun {
  kind: ModelKind;
  model: tf.LayersModel;
  data: TensorData;
  batch: number;
  steps: number;
  warmup: number;
  optimiser: OptimiserName;
  augment: boolean;
  seed: number;
}

interface Steps {
  steps: number;
  seconds: number;
  loss: number;
  /** Steps per train() epoch (the warm-up of the learning rate spans one epoch). */
  perEpoch: number;
}

/** At least `steps` optimiser steps through train(): epochs of maxBatches full batches each. */
async function runSteps(
  run: TrainingRun,
  optimiser: tf.Optimizer,
  config: OptimiserConfig,
  steps: number,
): Promise<Steps> {
  const n = run.data.x.shape[0];
  const fit = Math.floor(n / run.batch);
  if (fit < 1) throw new Error(`batch ${run.batch} is larger than the ${n} training images`);
  const perEpoch = Math.min(steps, fit);
  const epochs = Math.ceil(steps / perEpoch);
  const out = await train(run.model, run.data, {
    phase: 'bench',
    epochs,
    batchSize: run.batch,
    maxBatches: perEpoch,
    seed: run.seed,
    optimiser,
    optimiserConfig: config,
    augment: run.augment,
  });
  const seconds = out.epochs.reduce((s, e) => s + e.seconds, 0);
  const loss = out.epochs.reduce((s, e) => s + e.loss, 0) / out.epochs.length;
  return { steps: epochs * perEpoch, seconds, loss, perEpoch };
}

function numericFields(o: object): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}

/** Warm-up steps (untimed, compile shaders and create optimiser slots), then timed steps. */
export async function measureTraining(run: TrainingRun): Promise<TrainingResult> {
  const before = tf.memory().numTensors;
  const { config, scaling } = optimiserFor(run.optimiser, run.batch);
  const optimiser = createOptimiser(config);
  let warm: Steps = { steps: 0, seconds: 0, loss: NaN, perEpoch: 0 };
  let timed: Steps;
  let memory: Record<string, number>;
  try {
    if (run.warmup > 0) warm = await runSteps(run, optimiser, config, run.warmup);
    timed = await runSteps(run, optimiser, config, run.steps);
    memory = numericFields(tf.memory());
  } finally {
    optimiser.dispose();
  }
  return result(run, { ...config, scaling }, warm, timed, before, 'engine', memory);
}

function result(
  run: TrainingRun,
  opt: OptimiserConfig & { scaling: 'linear' | 'sqrt' },
  warm: Steps,
  timed: Steps,
  tensorsBefore: number,
  loop: TrainingResult['loop'],
  memory: Record<string, number> = numericFields(tf.memory()),
): TrainingResult {
  const samplesPerSec = (run.batch * timed.steps) / timed.seconds;
  return {
    model: run.kind,
    loop,
    batch: run.batch,
    optimiser: {
      name: run.optimiser,
      learningRate: opt.learningRate,
      lrScaling: opt.scaling,
      warmupSteps: timed.perEpoch,
    },
    augment: loop === 'engine' && run.augment,
    warmupSteps: warm.steps,
    warmupSeconds: warm.seconds,
    steps: timed.steps,
    seconds: timed.seconds,
    msPerStep: (timed.seconds * 1000) / timed.steps,
    samplesPerSec,
    epochSeconds: EPOCH_IMAGES / samplesPerSec,
    loss: timed.loss,
    lossFinite: Number.isFinite(timed.loss),
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
    memory,
  };
}

/**
 * The same model, batch and optimiser through TF.js's own model.fit (no augmentation): the loop
 * GPU.md's table measured, timed on the same card as the engine's step. At most one pass over the
 * data, so `steps` is capped at its whole batches.
 */
export async function measureFit(run: TrainingRun): Promise<TrainingResult> {
  const before = tf.memory().numTensors;
  const { config, scaling } = optimiserFor(run.optimiser, run.batch);
  const optimiser = createOptimiser(config);
  run.model.compile({ optimizer: optimiser, loss: 'categoricalCrossentropy' });
  const fit = async (steps: number): Promise<Steps> => {
    const count = Math.min(steps, Math.floor(run.data.x.shape[0] / run.batch)) * run.batch;
    if (count === 0) throw new Error(`batch ${run.batch} is larger than the ${run.data.x.shape[0]} training images`);
    const [x, y] = [run.data.x.slice(0, count), run.data.y.slice(0, count)];
    const t0 = performance.now();
    try {
      const h = await run.model.fit(x, y, { batchSize: run.batch, epochs: 1, shuffle: false, verbose: 0 });
      return {
        steps: count / run.batch,
        seconds: (performance.now() - t0) / 1000,
        loss: Number(h.history.loss[0]),
        perEpoch: 0,
      };
    } finally {
      tf.dispose([x, y]);
    }
  };
  let warm: Steps = { steps: 0, seconds: 0, loss: NaN, perEpoch: 0 };
  let timed: Steps;
  try {
    if (run.warmup > 0) warm = await fit(run.warmup);
    timed = await fit(run.steps);
  } finally {
    optimiser.dispose();
  }
  return result(run, { ...config, scaling }, warm, timed, before, 'model.fit');
}

/** Seconds to predict the first `count` images of x at `batch`. */
async function timeImages(model: tf.LayersModel, x: tf.Tensor4D, count: number, batch: number): Promise<number> {
  const part = count === x.shape[0] ? x : x.slice(0, count);
  try {
    return await inferenceSeconds(model, part, batch);
  } finally {
    if (part !== x) part.dispose();
  }
}

export interface InferenceRun {
  kind: ModelKind;
  model: tf.LayersModel;
  x: tf.Tensor4D;
  batch: number;
  /** Images the result is stated for (capped at x's count). */
  images: number;
  /** Seconds a measurement may take; beyond that fewer images are timed and the rest projected. */
  capS: number;
}

/**
 * Times a probe of about 100 images (at least one batch); if all `images` would fit in capS, times
 * them all, else times as many whole batches as fit and projects linearly, saying so.
 */
export async function measureInference(run: InferenceRun): Promise<InferenceResult> {
  const n = Math.min(run.images, run.x.shape[0]);
  const probeCount = Math.min(n, run.batch * Math.max(1, Math.ceil(100 / run.batch)));
  const probe = await timeImages(run.model, run.x, probeCount, run.batch);
  let timedImages = probeCount;
  let measured = probe;
  if (probeCount < n) {
    const projectedAll = (probe * n) / probeCount;
    const affordable = Math.floor((n * run.capS) / projectedAll / run.batch) * run.batch;
    timedImages = projectedAll <= run.capS ? n : Math.min(n, Math.max(probeCount, affordable));
    if (timedImages > probeCount) measured = await timeImages(run.model, run.x, timedImages, run.batch);
  }
  const seconds = (measured * n) / timedImages;
  return {
    model: run.kind,
    batch: run.batch,
    images: n,
    timedImages,
    measuredSeconds: measured,
    seconds,
    projected: timedImages < n,
    msPerImage: (seconds * 1000) / n,
  };
}
