/**
 * Tensors from a Split, normalisation, and batch augmentation done with TF.js ops on whatever
 * backend is active (no per-image JS loops).
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_BYTES, IMAGE_SIDE, type Split } from './types';

/** CIFAR-10 per-channel mean and standard deviation of pixels scaled to [0, 1]. */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;

/** Pixels in [0, 255] (any dtype) -> float32 x/255, minus the CIFAR-10 mean, over its std. */
export function normalise(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.tensor1d([...CIFAR10_MEAN]);
    const std = tf.tensor1d([...CIFAR10_STD]);
    return tf.cast(x, 'float32').div(255).sub(mean).div(std) as tf.Tensor4D;
  });
}

/** NORMALISED[c * 256 + v]: the normalised value of byte v in channel c. */
const NORMALISED = Float32Array.from({ length: 768 }, (_, i) => {
  const c = i >> 8;
  return ((i & 255) / 255 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
});

/** Images start .. start+count-1 of a split, normalised, NHWC float32 (for runtimes other than TF.js). */
export function normalisedPixels(split: Split, start: number, count: number): Float32Array {
  const src = split.images.subarray(start * IMAGE_BYTES, (start + count) * IMAGE_BYTES);
  const out = new Float32Array(src.length);
  for (let k = 0; k < src.length; k++) out[k] = NORMALISED[(k % 3) * 256 + src[k]];
  return out;
}

/**
 * Normalised images and one-hot labels of a split, or of the samples at `indices` (in that order,
 * e.g. one shuffled batch). Normalises while copying (a lookup table, same values as normalise()
 * to float32 rounding), so the only large allocation is the result: the whole CIFAR-10 train set
 * is 614 MB as float32, so prefer batches where memory is tight.
 */
/** A split as tensors, ready for training and evaluation. */
export interface TensorData {
  /** Normalised images, NHWC float32. */
  x: tf.Tensor4D;
  /** One-hot labels. */
  y: tf.Tensor2D;
}

export function toTensors(split: Split, classes: readonly string[], indices?: ArrayLike<number>): TensorData {
  const n = indices ? indices.length : split.count;
  const pixels = new Float32Array(n * IMAGE_BYTES);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices ? indices[i] : i;
    if (j < 0 || j >= split.count) throw new RangeError(`sample index ${j} is outside 0..${split.count - 1}`);
    const src = j * IMAGE_BYTES;
    const dst = i * IMAGE_BYTES;
    for (let k = 0; k < IMAGE_BYTES; k += 3) {
      pixels[dst + k] = NORMALISED[split.images[src + k]];
      pixels[dst + k + 1] = NORMALISED[256 + split.images[src + k + 1]];
      pixels[dst + k + 2] = NORMALISED[512 + split.images[src + k + 2]];
    }
    labels[i] = split.labels[j];
  }
  const x = tf.tensor4d(pixels, [n, IMAGE_SIDE, IMAGE_SIDE, 3], 'float32');
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes.length).toFloat() as tf.Tensor2D);
  return { x, y };
}

/**
 * Pads each image with `pad` zeros on every side and cuts an HxW window whose top-left corner is
 * `offsets[i] = [dy, dx]` (integers in 0..2*pad): one gather of pixels from the flattened padded
 * batch at integer indices (i*Hp + dy + y)*Wp + dx + x. Exact on every backend; cropAndResize's
 * nearest sampling, used before, rounds sample positions that lie at k - 1e-7 differently per
 * backend (the wasm backend's kernel picks k - 1), and the wasm backend's gather with batchDims
 * mis-indexes some shapes, so neither is used.
 */
export function cropBatch(x: tf.Tensor4D, offsets: tf.Tensor2D, pad = 4): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [hp, wp] = [h + 2 * pad, w + 2 * pad];
    const padded = tf.pad(tf.cast(x, 'float32'), [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]);
    const o = tf.cast(offsets, 'int32');
    const int = (v: number) => tf.scalar(v, 'int32');
    const corner = tf.add(tf.add(tf.mul(tf.range(0, n, 1, 'int32'), int(hp * wp)), tf.mul(o.slice([0, 0], [-1, 1]).reshape([n]), int(wp))), o.slice([0, 1], [-1, 1]).reshape([n]));
    const within = tf.add(tf.mul(tf.range(0, h, 1, 'int32'), int(wp)).reshape([h, 1]), tf.range(0, w, 1, 'int32').reshape([1, w]));
    const index = tf.add(corner.reshape([n, 1, 1]), within.reshape([1, h, w])).reshape([n * h * w]);
    return tf.gather(padded.reshape([n * hp * wp, c]), index, 0).reshape([n, h, w, c]) as tf.Tensor4D;
  });
}

/**
 * Mirrors image i left-right where flip[i] is true. The mask is broadcast explicitly to [N,H,W,C]:
 * tf.where would broadcast a rank-1 mask against the channel axis instead.
 */
export function flipBatch(x: tf.Tensor4D, flip: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const mask = tf.cast(flip, 'bool').reshape([x.shape[0], 1, 1, 1]).broadcastTo(x.shape);
    return tf.where(mask, tf.image.flipLeftRight(x), x) as tf.Tensor4D;
  });
}

/** The random draws of augmentBatch for a batch of n: crop offsets and flip mask, fixed by seed. */
export function augmentDraws(n: number, seed: number, pad = 4): { offsets: tf.Tensor2D; flip: tf.Tensor1D } {
  return tf.tidy(() => {
    const u = tf.randomUniform([n, 3], 0, 1, 'float32', seed);
    const offsets = tf.minimum(tf.floor(u.slice([0, 0], [n, 2]).mul(2 * pad + 1)), 2 * pad) as tf.Tensor2D;
    const flip = u.slice([0, 2], [n, 1]).reshape([n]).less(0.5) as tf.Tensor1D;
    return { offsets: tf.cast(offsets, 'int32'), flip };
  });
}

/** Random crop with `pad`-pixel zero padding and random horizontal flip; deterministic per seed. */
export function augmentBatch(x: tf.Tensor4D, seed: number, pad = 4): tf.Tensor4D {
  return tf.tidy(() => {
    const { offsets, flip } = augmentDraws(x.shape[0], seed, pad);
    return flipBatch(cropBatch(x, offsets, pad), flip);
  });
}
