/**
 * Keras weights in ONNX layouts, and BatchNormalization folded into the convolution before it.
 * Conv2D kernels are (kh, kw, in, out) in Keras and (out, in, kh, kw) in ONNX; a DepthwiseConv2D
 * kernel (kh, kw, C, r) becomes a grouped Conv's (C*r, 1, kh, kw), output channel c*r + q, which is
 * the channel order Keras gives the depthwise output.
 */

/** (kh, kw, in, out) -> (out, in, kh, kw). */
export function convKernelToOihw(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** (kh, kw, C, r) -> (C*r, 1, kh, kw). */
export function depthwiseKernelToOihw(k: Float32Array, [kh, kw, c, r]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let m = 0; m < c; m++) for (let q = 0; q < r; q++) out[((m * r + q) * kh + y) * kw + x] = k[((y * kw + x) * c + m) * r + q];
  return out;
}

export interface BatchNormParams {
  gamma: Float32Array | null;
  beta: Float32Array | null;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** Per-channel scale and shift of a BatchNormalization at inference: y = x * scale + shift. */
export function batchNormAffine(bn: BatchNormParams): { scale: Float64Array; shift: Float64Array } {
  const c = bn.mean.length;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = (bn.gamma ? bn.gamma[i] : 1) / Math.sqrt(bn.variance[i] + bn.epsilon);
    shift[i] = (bn.beta ? bn.beta[i] : 0) - bn.mean[i] * scale[i];
  }
  return { scale, shift };
}

/**
 * Folds y = BN(conv(x) + b) into one conv: W'[o] = W[o] * scale[o], b' = b * scale + shift, exact
 * up to float rounding because nothing lies between the conv and the BN. `w` is in ONNX layout.
 */
export function foldBatchNorm(w: Float32Array, bias: Float32Array | null, bn: BatchNormParams): { w: Float32Array; b: Float32Array } {
  const { scale, shift } = batchNormAffine(bn);
  const outs = scale.length;
  const per = w.length / outs;
  const folded = new Float32Array(w.length);
  for (let o = 0; o < outs; o++) for (let j = 0; j < per; j++) folded[o * per + j] = w[o * per + j] * scale[o];
  const b = new Float32Array(outs);
  for (let o = 0; o < outs; o++) b[o] = (bias ? bias[o] : 0) * scale[o] + shift[o];
  return { w: folded, b };
}

/**
 * TensorFlow's 'same' padding along one axis: total max((ceil(n/s) - 1) * s + k - n, 0), the
 * smaller half before, the larger after.
 */
export function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}
