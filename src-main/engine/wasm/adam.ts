/**
 * Adam's update as one kernel on the wasm backend: for one variable, the new value, first and
 * second moments in a single pass over its elements, where TF.js's AdamOptimizer runs about a
 * dozen element-wise kernels (each a pass over memory and a dispatch). Every operation is rounded
 * to float32 in the order TF.js's optimiser applies them, so the result is the stock optimiser's
 * bit for bit (each float32 +, -, *, /, sqrt computed in float64 and rounded once is exact).
 * It runs as four-lane float32 SIMD (simd.wat `adam`, the same operations in the same order, each
 * correctly rounded, so the same bits); `adamUpdate` below is the JavaScript version, used where
 * WebAssembly SIMD is unavailable and as the reference in tests.
 */
import * as tf from '@tensorflow/tfjs';
import { onHeap } from './compose';
import { simdFor } from './simd';

export const ADAM_KERNEL = 'DwswapAdamUpdate';

/** beta1, beta2, epsilon and lr as the stock optimiser holds them; c1 = 1 - beta1^t, c2 = 1 - beta2^t (float32). */
export interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  c1: number;
  c2: number;
}

const f = Math.fround;

/** One Adam step over flat arrays: x, m, v (read) -> nx, nm, nv (written). */
export function adamUpdate(x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, nx: Float32Array, nm: Float32Array, nv: Float32Array, a: AdamAttrs): void {
  const b1 = f(a.beta1);
  const omb1 = f(1 - a.beta1);
  const b2 = f(a.beta2);
  const omb2 = f(1 - a.beta2);
  const c1 = f(a.c1);
  const c2 = f(a.c2);
  const eps = f(a.epsilon);
  const negLr = f(-a.learningRate);
  for (let i = 0; i < x.length; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * omb1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * omb2));
    nm[i] = mi;
    nv[i] = vi;
    const step = f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps));
    nx[i] = f(f(step * negLr) + x[i]);
  }
}

/** Registers the kernel on the wasm backend (idempotent). */
export function installAdamKernel(): void {
  if (tf.getKernel(ADAM_KERNEL, 'wasm')) return;
  tf.registerKernel({
    kernelName: ADAM_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', tf.TensorInfo>;
      const h = onHeap(backend, [x, m, v, g], [x.shape, x.shape, x.shape]);
      const simd = simdFor(backend);
      if (simd) {
        const a = attrs as unknown as AdamAttrs;
        const [px, pm, pv, pg, pnx, pnm, pnv] = [x, m, v, g, ...h.outs].map((t) => simd.ptr(t));
        simd.k.adam(px, pm, pv, pg, pnx, pnm, pnv, h.in[0].length, f(a.beta1), f(1 - a.beta1), f(a.beta2), f(1 - a.beta2), f(a.c1), f(a.c2), f(a.epsilon), f(-a.learningRate));
        return h.outs;
      }
      const [vx, vm, vv, vg] = h.in;
      const [nx, nm, nv] = h.out;
      adamUpdate(vx, vm, vv, vg, nx, nm, nv, attrs as unknown as AdamAttrs);
      return h.outs;
    },
  });
}
