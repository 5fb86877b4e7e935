/**
 * BatchNorm's gradient as one kernel on the wasm backend. TF.js's gradient of FusedBatchNorm
 * (training mode: x normalised by the batch's own mean and variance, per channel) is about twenty
 * element-wise kernels, four of them reductions over N, H, W; here the five gradients it defines
 * come from one pass over the NHWC data (channels innermost, sums kept in float64) and one per channel:
 *
 *   r = 1 / sqrt(var + eps),  S1 = sum(dy),  S2 = sum(dy * (x - mean))   (per channel)
 *   dx = dy * scale * r          d mean = -scale * r * S1     d var = -scale * r^3 * S2 / 2
 *   d scale = r * S2             d offset = S1
 *
 * which is tfjs-core's FusedBatchNorm_grad.ts term by term. Other backends, and shapes that are not
 * one value per trailing channel, keep TF.js's own gradient. The kernel has no gradient of its own, so
 * a second-order gradient through BatchNorm in training mode is not available on wasm (training never
 * needs one).
 */
import * as tf from '@tensorflow/tfjs';
import { onHeap } from './compose';

export const BN_GRAD_KERNEL = 'DwswapFusedBatchNormGrad';

export interface BatchNormGradOut {
  dx: Float32Array;
  dMean: Float32Array;
  dVariance: Float32Array;
  dScale: Float32Array;
  dOffset: Float32Array;
}

/** The five gradients of y = scale * (x - mean) / sqrt(variance + eps) + offset, channels last. */
export function batchNormGrad(
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  scale: Float32Array | null,
  dy: Float32Array,
  eps: number,
  out: BatchNormGradOut,
): void {
  const c = mean.length;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  const r = new Float64Array(c);
  const k = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    r[j] = 1 / Math.sqrt(Math.fround(variance[j] + Math.fround(eps)));
    k[j] = r[j] * (scale ? scale[j] : 1);
  }
  for (let i = 0; i < x.length; i += c) {
    for (let j = 0; j < c; j++) {
      const g = dy[i + j];
      s1[j] += g;
      s2[j] += g * (x[i + j] - mean[j]);
      out.dx[i + j] = g * k[j];
    }
  }
  for (let j = 0; j < c; j++) {
    out.dMean[j] = -k[j] * s1[j];
    out.dVariance[j] = -0.5 * k[j] * r[j] * r[j] * s2[j];
    out.dScale[j] = r[j] * s2[j];
    out.dOffset[j] = s1[j];
  }
}

let stockGrad: tf.GradConfig | null = null;

/** Puts TF.js's own FusedBatchNorm gradient back (benchmarks' A/B); installBatchNormGrad is then a no-op. */
export function useStockBatchNormGrad(): void {
  if (stockGrad) registerQuietly(stockGrad);
}

/** Registers FusedBatchNorm's gradient without TF.js's warning that one is being overridden: that is the point. */
function registerQuietly(config: tf.GradConfig): void {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    tf.registerGradient(config);
  } finally {
    console.warn = warn;
  }
}

/** Registers the kernel on the wasm backend and routes FusedBatchNorm's gradient to it there (idempotent). */
export function installBatchNormGrad(): void {
  if (stockGrad) return;
  stockGrad = tf.getGradient('FusedBatchNorm');
  if (!stockGrad) throw new Error('tfjs-core has no FusedBatchNorm gradient to replace');
  tf.registerKernel({
    kernelName: BN_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, mean, variance, scale, dy } = inputs as Record<string, tf.TensorInfo | undefined>;
      const c = mean!.shape[0];
      const h = onHeap(backend, [x!, mean!, variance!, dy!, ...(scale ? [scale] : [])], [x!.shape, [c], [c], [c], [c]]);
      const [vx, vm, vv, vdy, vs] = h.in;
      const [dx, dMean, dVariance, dScale, dOffset] = h.out;
      batchNormGrad(vx, vm, vv, vs ?? null, vdy, (attrs as { varianceEpsilon: number }).varianceEpsilon, {
        dx,
        dMean,
        dVariance,
        dScale,
        dOffset,
      });
      return h.outs;
    },
  });
  const stock = stockGrad;
  registerQuietly({
    kernelName: 'FusedBatchNorm',
    inputsToSave: stock.inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const g = dy as tf.Tensor;
      const fits =
        tf.getBackend() === 'wasm' &&
        mean.rank === 1 &&
        variance.rank === 1 &&
        (!scale || scale.rank === 1) &&
        x.rank >= 2 &&
        x.shape[x.rank - 1] === mean.shape[0] &&
        g.dtype === 'float32' &&
        x.dtype === 'float32';
      if (!fits) return stock.gradFunc(dy, saved, attrs);
      const inputs: tf.NamedTensorMap = scale ? { x, mean, variance, scale, dy: g } : { x, mean, variance, dy: g };
      const [dx, dMean, dVariance, dScale, dOffset] = tf
        .engine()
        .runKernel(BN_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVariance, scale: () => dScale, offset: () => dOffset };
    },
  });
}
