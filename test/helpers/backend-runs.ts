/**
 * One fixed training scenario, run on whichever TF.js backend is active, so that backends can be
 * compared with each other: a tiny ResNet-50 (1/16 width, three blocks swapped to depthwise-
 * separable, so the depthwise kernels are exercised too) trained two epochs with augmentation and
 * Adam, then evaluated and its BatchNorm statistics re-estimated; and the same run cancelled after
 * epoch 1 and resumed from its checkpoint, which must end where the uninterrupted run ends.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelConfigSchema, OptimiserSchema, type OptimiserConfig } from '../../src-main/contract';
import { loadCifar10, toTensors, type Cifar } from '../../src-main/engine/data';
import { evaluate } from '../../src-main/engine/metrics';
import { deserialiseNet, restoreOptimiser, serialiseNet } from '../../src-main/engine/modelio';
import { createOptimiser } from '../../src-main/engine/optim';
import { buildResNet50 } from '../../src-main/engine/resnet';
import { recalibrateBatchNorm, train, type TensorData } from '../../src-main/engine/train';
import { makeTinyCifarZip } from './tiny-cifar';

export const SWAPPED = ['conv2_block1', 'conv3_block2', 'conv5_block3'];
const modelConfig = { widthDivisor: 16, bnMomentum: 0.5, swapped: SWAPPED };
/**
 * Backends are compared under plain SGD: its update is linear in the gradient. (Adam's first steps
 * move every weight by about lr * sign(g), so a gradient within rounding of zero, e.g. a conv bias
 * before BatchNorm, gets a full-size step of either sign.) Even so, training-mode BatchNorm over 20
 * samples (1x1 feature maps in stage 5) divides by batch standard deviations that can be tiny and
 * amplifies float32 rounding, which differs between backends (the cpu backend's kernels sum in
 * float64; lavapipe's shaders reduce in other orders): the first loss agrees to ~1e-5, later epochs'
 * mean losses to within 10 per cent (measured: wasm 0.5%, webgpu on lavapipe 5%). The kernels themselves are
 * checked tightly in wasm-kernels.test.ts. Runs on one backend (resume) use Adam, as real runs do.
 */
export const SGD = OptimiserSchema.parse({ preset: 'custom', name: 'sgd', learningRate: 1e-3, momentum: 0 });
export const ADAM = OptimiserSchema.parse({ preset: 'fast' });

export async function tinyCifar(dir: string): Promise<Cifar> {
  return loadCifar10(makeTinyCifarZip(dir, { perClassTrain: 6, perClassTest: 2 }));
}

function tensors(c: Cifar): { train: TensorData; test: TensorData } {
  return { train: toTensors(c.train, c.classes), test: toTensors(c.test, c.classes) };
}

/** Every weight's values, read asynchronously (WebGPU in Node has no dataSync). */
export async function weightsOf(m: tf.LayersModel): Promise<Float32Array> {
  return concat(await Promise.all(m.getWeights().map((w) => w.data() as Promise<Float32Array>)));
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface ScenarioResult {
  /** The first batch's loss (before any update), then each epoch's mean loss. */
  firstLoss: number;
  losses: number[];
  /** Trainable weights after training. */
  weights: Float32Array;
  /** Evaluation and BatchNorm moving means of the untrained model after BN re-estimation. */
  test: { acc: number; loss: number };
  bnMean: Float32Array;
  /** Live tensors and backend buffers after each epoch (a leak shows as growth). */
  tensorsAfterEpoch: number[];
  buffersAfterEpoch: number[];
}

const opts = (optimiser: tf.Optimizer, optimiserConfig: OptimiserConfig) => ({
  phase: 'train',
  epochs: 3,
  batchSize: 20,
  seed: 5,
  optimiser,
  optimiserConfig,
  augment: true,
});

/** The model's trainable weights only (moving statistics can be large and are compared apart). */
export async function trainableOf(m: tf.LayersModel): Promise<Float32Array> {
  return concat(await Promise.all(m.trainableWeights.map((w) => w.read().data() as Promise<Float32Array>)));
}

/** Trains, evaluates and re-estimates BatchNorm on the active backend. */
export async function runScenario(c: Cifar): Promise<ScenarioResult> {
  const data = tensors(c);
  const model = buildResNet50(modelConfig, 11);
  const tensorsAfterEpoch: number[] = [];
  const buffersAfterEpoch: number[] = [];
  let firstLoss = NaN;
  const r = await train(model, data.train, {
    ...opts(createOptimiser(SGD), SGD),
    progressInterval: 0,
    onProgress: (p) => {
      if (Number.isNaN(firstLoss)) firstLoss = p.loss;
    },
    onEpochEnd: () => {
      tensorsAfterEpoch.push(tf.memory().numTensors);
      buffersAfterEpoch.push(tf.engine().backend.numDataIds());
    },
  });
  const weights = await trainableOf(model);
  model.dispose();
  // BatchNorm re-estimation and evaluation on the untrained model (same weights on every backend).
  const fresh = buildResNet50(modelConfig, 11);
  await recalibrateBatchNorm(fresh, data.train, 2, 20, 0);
  const bnMean = concat(
    await Promise.all(
      ['conv1_bn', 'conv2_block1_2_bn', 'conv5_block3_3_bn'].map(
        (n) => fresh.getLayer(n).getWeights()[2].data() as Promise<Float32Array>,
      ),
    ),
  );
  const test = await evaluate(fresh, data.test, 16);
  tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  fresh.dispose();
  return {
    firstLoss,
    losses: r.epochs.map((e) => e.loss),
    weights,
    test,
    bnMean,
    tensorsAfterEpoch,
    buffersAfterEpoch,
  };
}

/**
 * The gradient of the mean cross-entropy of the scenario's untrained model on the first 20 training
 * images (training mode, no augmentation), per trainable weight, in the model's weight order.
 */
export async function firstGradients(c: Cifar): Promise<{ name: string; grad: Float32Array }[]> {
  const data = tensors(c);
  const model = buildResNet50(modelConfig, 11);
  const x = data.train.x.slice(0, 20);
  const y = data.train.y.slice(0, 20);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    vars,
  );
  const out = await Promise.all(
    model.trainableWeights.map(async (w, i) => ({ name: w.originalName, grad: (await grads[vars[i].name].data()) as Float32Array })),
  );
  tf.dispose([value, x, y, data.train.x, data.train.y, data.test.x, data.test.y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/**
 * Compares two backends' first gradients: the largest |difference| over each weight, relative to
 * that weight's largest |gradient|, skipping the biases of convolutions that BatchNorm follows
 * (BatchNorm subtracts the batch mean, so their exact gradient is zero and both sides hold
 * rounding noise). Returns the worst weight.
 */
export function worstGradient(
  a: { name: string; grad: Float32Array }[],
  b: { name: string; grad: Float32Array }[],
): { name: string; relative: number; compared: number } {
  let worst = { name: '', relative: 0, compared: 0 };
  a.forEach((w, i) => {
    if (/conv\/bias$/.test(w.name)) return;
    const scale = Math.max(1e-12, ...Array.from(w.grad, Math.abs));
    const relative = maxDiff(w.grad, b[i].grad) / scale;
    worst.compared++;
    if (relative > worst.relative) worst = { ...worst, name: w.name, relative };
  });
  return worst;
}

/** Largest |a - b| over two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * The scenario's training cancelled during epoch 2 and resumed from the epoch-1 checkpoint:
 * returns the largest weight difference from the uninterrupted run's, and its final loss.
 */
export async function resumeDifference(
  c: Cifar,
): Promise<{ maxDiff: number; straightLoss: number; resumedLoss: number }> {
  const data = tensors(c);
  const straight = buildResNet50(modelConfig, 11);
  const s = await train(straight, data.train, opts(createOptimiser(ADAM), ADAM));
  const first = buildResNet50(modelConfig, 11);
  const firstOpt = createOptimiser(ADAM);
  const controller = new AbortController();
  let checkpoint: Awaited<ReturnType<typeof serialiseNet>> | null = null;
  await train(first, data.train, {
    ...opts(firstOpt, ADAM),
    signal: controller.signal,
    progressInterval: 0,
    onEpochEnd: async (epoch) => {
      if (epoch === 0)
        checkpoint = await serialiseNet({ model: first, config: ModelConfigSchema.parse(modelConfig) }, firstOpt);
    },
    onProgress: (p) => {
      if (p.epoch === 1 && p.batch === 1) controller.abort();
    },
  });
  const restored = await deserialiseNet(checkpoint!);
  const opt = createOptimiser(ADAM);
  if (!(await restoreOptimiser(opt, checkpoint!))) throw new Error('optimiser state not restored');
  const r = await train(restored.model, data.train, { ...opts(opt, ADAM), startEpoch: 1 });
  const result = {
    maxDiff: maxDiff(await weightsOf(straight), await weightsOf(restored.model)),
    straightLoss: s.epochs[s.epochs.length - 1].loss,
    resumedLoss: r.epochs[r.epochs.length - 1].loss,
  };
  tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  return result;
}
