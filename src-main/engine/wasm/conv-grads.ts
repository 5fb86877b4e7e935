/**
 * Convolution gradients for the wasm backend, composed from its XNNPACK kernels (see compose.ts).
 *
 * - Conv2DBackpropFilter: im2col as one GEMM. The SIMD module (simd.wat) writes the patches
 *   P [N, kh*kw*C] in the filter's own (i, j, c) order; dW [kh*kw*C, Co] = P^T dy, or (dy^T P)^T when
 *   that makes XNNPACK re-pack less (PACK_COST). A 1x1 stride-1 convolution needs no patches (P = x).
 *   Without SIMD: a depthwise convolution with a one-hot filter lays out, for every output pixel n and
 *   input channel c, the kh*kw input values under the filter (stride and padding applied by XNNPACK):
 *   patches [N, C*kh*kw]; then dW^T = dy^T [Co, N] x patches, one matmul.
 * - Conv2DBackpropInput: 1x1 is dy x W^T (one matmul), spread back to every s-th pixel when strided.
 *   k x k is the correlation of dy (zero-inserted between pixels when strided) with the spatially
 *   flipped, in/out-transposed kernel, padded by k-1-pad (XNNPACK's Conv2D).
 * - DepthwiseConv2dNativeBackpropFilter: dW[t, c] = sum_n patches[n, c, t] * dy[n, c]: the patches
 *   as above, dy repeated over the taps (a 1x1 depthwise conv with ones), one multiply, and the sum
 *   over n as a ones-vector product.
 * - DepthwiseConv2dNativeBackpropInput: the depthwise convolution of dy with the flipped kernel
 *   (stride 1, dilation 1, as in ResNet-50's swapped blocks; other cases are refused).
 */
import * as tf from '@tensorflow/tfjs';
import type { Attrs, Composer, Info } from './compose';

type ConvInfo = tf.backend_util.Conv2DInfo;

function convInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): ConvInfo {
  const d = attrs.dilations as number | number[] | undefined;
  if (!(d == null || d === 1 || (Array.isArray(d) && d.every((v) => v === 1)))) {
    throw new Error('the wasm training kernels support dilation 1 only; use --backend cpu for dilated convolutions');
  }
  if (attrs.dataFormat === 'NCHW')
    throw new Error('the wasm training kernels support NHWC only; use --backend cpu for NCHW');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
    depthwise,
    'channelsLast',
  );
}

/** The one-hot depthwise filter [kh, kw, C, kh*kw]: tap t of channel c goes to output channel c*kk + t. */
function tapFilter(k: Composer, kh: number, kw: number, c: number): Info {
  const kk = kh * kw;
  const values = new Float32Array(kk * c * kk);
  for (let t = 0; t < kk; t++) for (let ch = 0; ch < c; ch++) values[(t * c + ch) * kk + t] = 1;
  return k.constant([kh, kw, c, kk], values);
}

/** im2col: [N, C * kh * kw], ordered (c, i, j), for the convolution described by `info`. */
function patches(k: Composer, x: Info, info: ConvInfo): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: c } = info;
  const n = info.batchSize * info.outHeight * info.outWidth;
  const { top, bottom, left, right } = info.padInfo;
  const unit = info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0;
  if (kh * kw === 1 && unit) return k.reshape(x, [n, c]);
  const strides = [info.strideHeight, info.strideWidth];
  const pad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const p = k.run('DepthwiseConv2dNative', { x, filter: tapFilter(k, kh, kw, c) }, { strides, pad, dilations: 1 });
  return k.reshape(p, [n, c * kh * kw]);
}

/**
 * XNNPACK packs a product's right operand afresh whenever it is a new tensor (every training step),
 * at about four times the cost per element of a SIMD transpose (measured, scripts/profile-step.ts);
 * the filter gradient takes whichever orientation packs less.
 */
const PACK_COST = 4;

export function conv2dBackpropFilter(k: Composer, x: Info, dy: Info, attrs: Attrs): Info {
  const info = convInfo(x.shape, attrs.filterShape as number[], attrs, false);
  const { filterHeight: kh, filterWidth: kw, inChannels: c, outChannels: co } = info;
  const n = info.batchSize * info.outHeight * info.outWidth;
  const kk = kh * kw * c;
  if (k.simd) {
    const { top, bottom, left, right } = info.padInfo;
    const unit = kh * kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0;
    // P [n, kk] with columns (i, j, c): the filter's own layout [kh, kw, c, co] read as [kk, co].
    const d = k.reshape(dy, [n, co]);
    // dW = P^T dy (pack dy; P^T written directly, or x transposed) or (dy^T P)^T (pack P, transpose dy and the result).
    const packDy = n * kk + PACK_COST * n * co;
    const packP = PACK_COST * n * kk + n * co + kk * co;
    let g: Info;
    if (packDy <= packP) {
      const pT = unit ? k.transpose(k.reshape(x, [n, c]), [1, 0]) : k.im2col(x, info, true);
      g = k.matmul(k.reshape(pT, [1, kk, n]), k.reshape(d, [1, n, co]));
    } else {
      const p = unit ? k.reshape(x, [n, c]) : k.im2col(x, info);
      g = k.transpose(k.reshape(k.matmul(k.reshape(k.transpose(d, [1, 0]), [1, co, n]), k.reshape(p, [1, n, kk])), [co, kk]), [1, 0]);
    }
    return k.reshape(g, [kh, kw, c, co]);
  }
  const p = patches(k, x, info);
  const dyT = k.transpose(k.reshape(dy, [n, co]), [1, 0]);
  const g = k.matmul(k.reshape(dyT, [1, co, n]), k.reshape(p, [1, n, c * kh * kw]));
  return k.transpose(k.reshape(g, [co, c, kh, kw]), [2, 3, 1, 0]);
}

/** x [B, H, W, C] with (s - 1) zeros after every pixel: [B, H*sh, W*sw, C]. */
function spread(k: Composer, x: Info, sh: number, sw: number): Info {
  const [b, h, w, c] = x.shape;
  if (sh === 1 && sw === 1) return x;
  const padded = k.pad(k.reshape(x, [b, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return k.reshape(padded, [b, h * sh, w * sw, c]);
}

/** The filter flipped in both spatial axes, with in/out channels swapped: [kh, kw, Co, Ci]. */
function flippedTransposed(k: Composer, filter: Info): Info {
  const [kh, kw] = filter.shape;
  return k.transpose(kh * kw === 1 ? filter : k.flipTaps(filter, kh * kw), [0, 1, 3, 2]);
}

export function conv2dBackpropInput(k: Composer, dy: Info, filter: Info, attrs: Attrs, fallback: () => Info): Info {
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs, false);
  const { top, bottom, left, right } = info.padInfo;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    inChannels: ci,
    outChannels: co,
  } = info;
  const [b, h, w] = inputShape;
  if (kh === 1 && kw === 1 && top + bottom + left + right === 0) {
    const wT = k.transpose(k.reshape(filter, [ci, co]), [1, 0]);
    const dx = k.matmul(k.reshape(dy, [1, b * info.outHeight * info.outWidth, co]), k.reshape(wT, [1, co, ci]));
    const full = spread(k, k.reshape(dx, [b, info.outHeight, info.outWidth, ci]), sh, sw);
    if (full.shape[1] === h && full.shape[2] === w) return full;
    return k.run('Slice', { x: full }, { begin: [0, 0, 0, 0], size: inputShape });
  }
  // dx[t] = sum_u dy'[u] w[t + top - u], dy' the zero-inserted dy: a correlation with the flipped kernel.
  const d = spread(k, dy, sh, sw);
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  const padBottom = h - d.shape[1] - padTop + kh - 1;
  const padRight = w - d.shape[2] - padLeft + kw - 1;
  if (Math.min(padTop, padLeft, padBottom, padRight) < 0) return fallback();
  const pad = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ];
  return k.run(
    'Conv2D',
    { x: d, filter: flippedTransposed(k, filter) },
    { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' },
  );
}

export function depthwiseBackpropInput(k: Composer, dy: Info, filter: Info, attrs: Attrs): Info {
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs, true);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) {
    throw new Error(
      "DepthwiseConv2dNativeBackpropInput on the wasm backend supports stride 1 only (ResNet-50's depthwise convs); use --backend cpu for strided depthwise convs",
    );
  }
  const [kh, kw, c, m] = filter.shape;
  const flipped = k.reshape(k.flipTaps(filter, kh * kw), [kh, kw, c * m, 1]);
  const { top, bottom, left, right } = info.padInfo;
  const pad = [
    [0, 0],
    [kh - 1 - top, kh - 1 - bottom],
    [kw - 1 - left, kw - 1 - right],
    [0, 0],
  ];
  const dx = k.run('DepthwiseConv2dNative', { x: dy, filter: flipped }, { strides: 1, pad, dilations: 1 });
  if (m === 1) return dx;
  return k.run('Sum', { x: k.reshape(dx, [...inputShape, m]) }, { axis: 4, keepDims: false });
}

export function depthwiseBackpropFilter(k: Composer, x: Info, dy: Info, attrs: Attrs): Info {
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs, true);
  const [kh, kw, c, m] = filterShape;
  const kk = kh * kw;
  const n = info.batchSize * info.outHeight * info.outWidth;
  let p = k.reshape(patches(k, x, info), [n, c, 1, kk]);
  if (m > 1) p = k.run('Tile', { x: p }, { reps: [1, 1, m, 1] });
  const rep = k.run(
    'DepthwiseConv2dNative',
    { x: dy, filter: k.filled([1, 1, c * m, kk], 1) },
    { strides: 1, pad: 'valid', dilations: 1 },
  );
  const prod = k.run('Multiply', { a: p, b: k.reshape(rep, [n, c, m, kk]) });
  const g = k.matmul(k.filled([1, 1, n], 1), k.reshape(prod, [1, n, c * m * kk]));
  return k.reshape(k.transpose(k.reshape(g, [c * m, kk]), [1, 0]), [kh, kw, c, m]);
}
