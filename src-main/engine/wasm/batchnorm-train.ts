/**
 * BatchNormalization in training mode as two kernels on the wasm backend (SIMD, simd.wat), where
 * tfjs-layers composes tf.moments and tf.batchNorm (about ten kernels forward, twenty-five in the
 * gradient, most of them passes over the whole activation):
 *
 *   forward, one pass for the sums and one for the output (sums in float64):
 *     mean = sum(x) / n,  var = sum(x^2) / n - mean^2  (biased, as tf.moments),  r = 1 / sqrt(var + eps)
 *     y = (x - mean) * (gamma * r) + beta
 *   gradient of y with respect to x, gamma and beta, the batch statistics being functions of x
 *   (what the tape computes through tf.moments), one pass for the sums and one for dx:
 *     S1 = sum(dy),  S2 = sum(dy * (x - mean)),  k = gamma * r
 *     dx = k * dy - k * r^2 * S2 / n * (x - mean) - k * S1 / n,  dgamma = r * S2,  dbeta = S1
 *
 * The moving mean and variance are updated in the same kernel, as the stock layer computes them
 * (m - (m - batch) * (1 - momentum), in float32), instead of six more kernels per layer.
 * Applies on the wasm backend with SIMD, float32, channels last, with a multiple of four channels;
 * everywhere else the layer runs the stock call.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './compose';
import { simdFor } from './simd';

export const BN_TRAIN_KERNEL = 'DwswapBatchNormTrain';
export const BN_TRAIN_GRAD_KERNEL = 'DwswapBatchNormTrainGrad';

interface BnFields {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

let stockTraining = false;

/** Runs tfjs-layers' own training-mode BatchNorm instead (benchmarks' A/B). */
export function useStockBatchNormTraining(stock = true): void {
  stockTraining = stock;
}

export function batchNormTrainingApplies(layer: object, x: tf.Tensor): boolean {
  const f = layer as BnFields;
  const c = x.shape[x.rank - 1];
  return (
    !stockTraining &&
    tf.getBackend() === 'wasm' &&
    tf.getKernel(BN_TRAIN_KERNEL, 'wasm') != null &&
    simdFor(tf.backend()) != null &&
    x.dtype === 'float32' &&
    x.rank >= 2 &&
    (f.axis === -1 || f.axis === x.rank - 1) &&
    f.center &&
    f.scale &&
    c % 4 === 0
  );
}

/** The training-mode output of a BatchNormalization layer, its moving statistics updated. */
export function batchNormTraining(layer: object, x: tf.Tensor): tf.Tensor {
  const f = layer as BnFields;
  return tf.tidy(() => {
    const attrs = { epsilon: f.epsilon, momentum: f.momentum } as unknown as tf.NamedAttrMap;
    let moving: tf.Tensor[] = [];
    const op = tf.customGrad(((xi: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      const inputs = { x: xi, gamma, beta, movingMean: f.movingMean.read(), movingVariance: f.movingVariance.read() };
      const [y, mean, variance, newMean, newVariance] = tf.engine().runKernel(BN_TRAIN_KERNEL, inputs, attrs) as tf.Tensor[];
      moving = [tf.keep(newMean), tf.keep(newVariance)]; // the op's own scope frees all but its value
      save([xi, gamma, mean, variance]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sg, sm, sv] = saved;
          return tf.engine().runKernel(
            BN_TRAIN_GRAD_KERNEL,
            { x: sx, dy, gamma: sg, mean: sm, variance: sv },
            attrs,
          ) as tf.Tensor[];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const y = op(x, f.gamma.read(), f.beta.read());
    f.movingMean.write(moving[0]);
    f.movingVariance.write(moving[1]);
    tf.dispose(moving);
    return y;
  });
}

/** Registers both kernels on the wasm backend (idempotent). */
export function installBatchNormTraining(): void {
  if (tf.getKernel(BN_TRAIN_KERNEL, 'wasm')) return;
  tf.registerKernel({
    kernelName: BN_TRAIN_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta, movingMean, movingVariance } = inputs as Record<string, tf.TensorInfo>;
      const { epsilon: eps, momentum } = attrs as { epsilon: number; momentum: number };
      const c = x.shape[x.shape.length - 1];
      const n = tf.util.sizeFromShape(x.shape) / c;
      const b = backend as unknown as WasmBackend;
      const [y, mean, variance, newMean, newVariance] = [x.shape, [c], [c], [c], [c]].map((shape) => b.makeOutput(shape, 'float32'));
      const s = simdFor(backend)!;
      // s1 = sum(x), s2 = sum(x^2); u = gamma * r per channel
      const { s1, s2, zeros, extra: [pU] } = s.channelSums(s.ptr(x), s.ptr(x), null, n, c, 1);
      const vm = s.f32(s.ptr(mean), c);
      const vv = s.f32(s.ptr(variance), c);
      const u = s.f32(pU, c);
      const g = s.f32(s.ptr(gamma), c);
      const [om, ov, nm, nv] = [movingMean, movingVariance, newMean, newVariance].map((t) => s.f32(s.ptr(t), c));
      const decay = Math.fround(1 - momentum);
      for (let j = 0; j < c; j++) {
        const m = s1[j] / n;
        const v = Math.max(0, s2[j] / n - m * m);
        vm[j] = m;
        vv[j] = v;
        u[j] = g[j] / Math.sqrt(Math.fround(vv[j] + Math.fround(eps)));
        // the stock layer's update in its float32 order: moving - (moving - batch) * (1 - momentum)
        nm[j] = om[j] - Math.fround(Math.fround(om[j] - vm[j]) * decay);
        nv[j] = ov[j] - Math.fround(Math.fround(ov[j] - vv[j]) * decay);
      }
      s.k.affine(s.ptr(x), s.ptr(x), s.ptr(y), n, c, s.ptr(mean), zeros, pU, s.ptr(beta));
      return [y, mean, variance, newMean, newVariance];
    },
  });
  tf.registerKernel({
    kernelName: BN_TRAIN_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
      const eps = (attrs as { epsilon: number }).epsilon;
      const c = x.shape[x.shape.length - 1];
      const n = tf.util.sizeFromShape(x.shape) / c;
      const b = backend as unknown as WasmBackend;
      const [dx, dGamma, dBeta] = [x.shape, [c], [c]].map((shape) => b.makeOutput(shape, 'float32'));
      const s = simdFor(backend)!;
      // s1 = sum(dy), s2 = sum(dy * (x - mean)); dx's per-channel factors k, a, bb
      const { s1, s2, extra: [pK, pA, pB] } = s.channelSums(s.ptr(dy), s.ptr(x), s.ptr(mean), n, c, 3);
      const [k, a, bb] = [s.f32(pK, c), s.f32(pA, c), s.f32(pB, c)];
      const [g, vv, dg, db] = [s.f32(s.ptr(gamma), c), s.f32(s.ptr(variance), c), s.f32(s.ptr(dGamma), c), s.f32(s.ptr(dBeta), c)];
      for (let j = 0; j < c; j++) {
        const r = 1 / Math.sqrt(Math.fround(vv[j] + Math.fround(eps)));
        const kj = g[j] * r;
        k[j] = kj;
        a[j] = (-kj * r * r * s2[j]) / n;
        bb[j] = (-kj * s1[j]) / n;
        dg[j] = r * s2[j];
        db[j] = s1[j];
      }
      s.k.affine(s.ptr(dy), s.ptr(x), s.ptr(dx), n, c, s.ptr(mean), pK, pA, pB);
      return [dx, dGamma, dBeta];
    },
  });
}
