/** The study's columns: parameters (total, per block), weight size, accuracy, inference time. */
import * as tf from '@tensorflow/tfjs';
import { BLOCKS, type BlockParams, type ModelConfig } from '../contract';
import { scaled } from './resnet';
import { yieldToLoop } from './data/types';
import type { TensorData } from './data/tensors';

const BYTES_PER_PARAM = 4; // float32
export const MIB = 1024 * 1024;

export function weightsMiB(params: number): number {
  return (params * BYTES_PER_PARAM) / MIB;
}

/** Input channels and filters of a block's 3x3 conv (the output of its first 1x1 conv). */
function convShape(widthDivisor: number, baseWidth: number): { m: number; n: number } {
  const w = scaled(baseWidth, widthDivisor);
  return { m: w, n: w };
}

/** Parameters of every layer whose name starts with `prefix + '_'`. */
function paramsWithPrefix(model: tf.LayersModel, prefix: string): number {
  return model.layers.filter((l) => l.name.startsWith(`${prefix}_`)).reduce((s, l) => s + l.countParams(), 0);
}

function convParams(model: tf.LayersModel, block: string): number {
  return model.layers
    .filter((l) => /^_2_(conv|dwconv|pwconv|dwbn)$/.test(l.name.slice(block.length)) && l.name.startsWith(block))
    .reduce((s, l) => s + l.countParams(), 0);
}

/** Per-block parameter table of a built model, with the study's formulas beside the counted numbers. */
export function blockParams(model: tf.LayersModel, cfg: ModelConfig): BlockParams[] {
  return BLOCKS.map((b) => {
    const { m, n } = convShape(cfg.widthDivisor, b.baseWidth);
    return {
      name: b.name,
      label: b.label,
      swapped: cfg.swapped.includes(b.name),
      params: paramsWithPrefix(model, b.name),
      convParams: convParams(model, b.name),
      formulaClassical: n * m * 9,
      formulaSeparable: m * (9 + n),
      inChannels: m,
      filters: n,
    };
  });
}

export function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Accuracy and cross-entropy over a whole set, read back once at the end. */
export async function evaluate(model: tf.LayersModel, data: TensorData, batchSize: number): Promise<{ acc: number; loss: number }> {
  const n = data.x.shape[0];
  let loss = tf.scalar(0);
  let correct = tf.scalar(0);
  for (let i = 0; i < n; i += batchSize) {
    const size = Math.min(batchSize, n - i);
    const [l, c] = tf.tidy(() => {
      const x = data.x.slice(i, size);
      const y = data.y.slice(i, size);
      const p = model.predict(x) as tf.Tensor2D;
      const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, 1e-7, 1)))));
      const ok = tf.sum(tf.cast(tf.equal(tf.argMax(y, -1), tf.argMax(p, -1)), 'float32'));
      return [tf.add(loss, ce), tf.add(correct, ok)];
    });
    tf.dispose([loss, correct]);
    loss = l as tf.Scalar;
    correct = c as tf.Scalar;
    await yieldToLoop();
  }
  const [ls, cs] = await Promise.all([loss.data(), correct.data()]);
  tf.dispose([loss, correct]);
  return { acc: cs[0] / n, loss: ls[0] / n };
}

/**
 * Wall-clock seconds to predict every image of `x` at `batchSize` (after one warm-up batch), with
 * the result read back at the end so asynchronous backends are timed to completion.
 */
export async function inferenceSeconds(model: tf.LayersModel, x: tf.Tensor4D, batchSize: number): Promise<number> {
  const n = x.shape[0];
  const warm = tf.tidy(() => model.predict(x.slice(0, Math.min(batchSize, n))) as tf.Tensor);
  await warm.data(); // async read-back: dataSync() is unavailable on WebGPU in Node
  warm.dispose();
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < n; i += batchSize) {
    last?.dispose();
    last = tf.tidy(() => model.predict(x.slice(i, Math.min(batchSize, n - i))) as tf.Tensor);
  }
  await last?.data();
  last?.dispose();
  return (performance.now() - t0) / 1000;
}
