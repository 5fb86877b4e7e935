/**
 * Faster pure-JavaScript kernels for the TF.js `cpu` backend, where its own are the bottleneck.
 *
 * The stock Conv2DBackpropFilter walks the filter element by element and reads every input through
 * TensorBuffer.get (a varargs call per multiply); on the ResNet-50 stem it took ~75% of a training
 * step. This one computes the same sum, dW[r,c,i,o] = sum_{b,y,x} X[b, y*s+r-pad, x*s+c-pad, i] *
 * dY[b,y,x,o], as rank-1 updates over contiguous channel rows. Only NHWC with dilation 1 is
 * handled here; anything else falls back to the stock kernel.
 *
 * The stock broadcasting binary ops (Add, Sub, Multiply, RealDiv) convert every output index to a
 * coordinate array and back; BatchNormalization's training pass is made of them. Here broadcasting
 * uses per-axis strides (0 on broadcast axes) in nested loops. Sum and Mean over leading axes
 * (BatchNorm's moments over N, H, W of NHWC) reduce in place instead of transposing first.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type TypedValues = Float32Array;

interface BackendWithData {
  data: { get(id: object): { values: TypedValues } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
}

interface FilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW for NHWC input x (b,h,w,i) and output gradient dy (b,oh,ow,o); see the file comment. */
export function conv2dFilterGradient(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(fh * fw * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let y = 0; y < outHeight; y++) {
      for (let xo = 0; xo < outWidth; xo++) {
        const dyBase = ((b * outHeight + y) * outWidth + xo) * outChannels;
        for (let r = 0; r < fh; r++) {
          const xr = y * sh + r - top;
          if (xr < 0 || xr >= inHeight) continue;
          for (let c = 0; c < fw; c++) {
            const xc = xo * sw + c - left;
            if (xc < 0 || xc >= inWidth) continue;
            const xBase = ((b * inHeight + xr) * inWidth + xc) * inChannels;
            const wBase = (r * fw + c) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++) {
              const xv = x[xBase + i];
              if (xv === 0) continue;
              const row = wBase + i * outChannels;
              for (let o = 0; o < outChannels; o++) acc[row + o] += xv * dy[dyBase + o];
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

type BinaryOp = (a: number, b: number) => number;

/** Output shape and per-axis strides of a and b (0 where broadcast), both padded to the output rank. */
function broadcastStrides(aShape: number[], bShape: number[]): { out: number[]; sa: number[]; sb: number[] } {
  const out = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  const strides = (shape: number[]) => {
    const padded = [...Array(out.length - shape.length).fill(1), ...shape];
    const st = new Array<number>(out.length).fill(0);
    let acc = 1;
    for (let d = out.length - 1; d >= 0; d--) {
      st[d] = padded[d] === 1 ? 0 : acc;
      acc *= padded[d];
    }
    return st;
  };
  return { out, sa: strides(aShape), sb: strides(bShape) };
}

/** Elementwise op with broadcasting, for any rank up to 6, over Float32Arrays. */
export function broadcastBinary(aShape: number[], bShape: number[], a: Float32Array, b: Float32Array, op: BinaryOp): { values: Float32Array; shape: number[] } {
  const { out, sa, sb } = broadcastStrides(aShape, bShape);
  const pad = 6 - out.length;
  const shape = [...Array(pad).fill(1), ...out];
  const A = [...Array(pad).fill(0), ...sa];
  const B = [...Array(pad).fill(0), ...sb];
  const values = new Float32Array(out.reduce((p, d) => p * d, 1));
  let k = 0;
  for (let i0 = 0; i0 < shape[0]; i0++)
    for (let i1 = 0; i1 < shape[1]; i1++)
      for (let i2 = 0; i2 < shape[2]; i2++)
        for (let i3 = 0; i3 < shape[3]; i3++)
          for (let i4 = 0; i4 < shape[4]; i4++) {
            const ia = i0 * A[0] + i1 * A[1] + i2 * A[2] + i3 * A[3] + i4 * A[4];
            const ib = i0 * B[0] + i1 * B[1] + i2 * B[2] + i3 * B[3] + i4 * B[4];
            const la = A[5];
            const lb = B[5];
            for (let i5 = 0; i5 < shape[5]; i5++) values[k++] = op(a[ia + i5 * la], b[ib + i5 * lb]);
          }
  return { values, shape: out };
}

/** Sum over the leading `lead` axes of a row-major array of `size` elements: out[j] = sum_i x[i*inner + j]. */
export function sumLeading(x: Float32Array, inner: number): Float32Array {
  const acc = new Float64Array(inner);
  for (let i = 0; i < x.length; i += inner) for (let j = 0; j < inner; j++) acc[j] += x[i + j];
  return Float32Array.from(acc);
}

const BINARY: Record<string, BinaryOp> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Multiply: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
};

function installBinary(name: string, op: BinaryOp): void {
  const original = tf.getKernel(name, 'cpu');
  if (!original) return;
  const kernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const same = tf.util.arraysEqual(a.shape, b.shape);
    if (same || a.dtype !== 'float32' || b.dtype !== 'float32' || Math.max(a.shape.length, b.shape.length) > 6) {
      return original.kernelFunc(args);
    }
    const backend = args.backend as unknown as BackendWithData;
    const r = broadcastBinary(a.shape, b.shape, backend.data.get(a.dataId).values, backend.data.get(b.dataId).values, op);
    return backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

/** Sum / Mean over exactly the leading axes [0..k-1] of a float32 tensor; others go to the stock kernel. */
function installReduce(name: 'Sum' | 'Mean'): void {
  const original = tf.getKernel(name, 'cpu');
  if (!original) return;
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((v, i) => v === i);
    if (!leading || x.dtype !== 'float32') return original.kernelFunc(args);
    const backend = args.backend as unknown as BackendWithData;
    const rest = x.shape.slice(axes.length);
    const inner = rest.reduce((p, d) => p * d, 1);
    const values = sumLeading(backend.data.get(x.dataId).values, inner);
    if (name === 'Mean') {
      const count = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
      for (let j = 0; j < values.length; j++) values[j] /= count;
    }
    const shape = keepDims ? [...axes.map(() => 1), ...rest] : rest;
    return backend.makeTensorInfo(shape, 'float32', values);
  };
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: kernelFunc as tf.KernelFunc });
}

let stock: tf.KernelConfig | undefined;

/** Replaces the cpu backend's Conv2DBackpropFilter with the faster one (idempotent). */
export function installCpuKernels(): void {
  if (stock) return;
  const original = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (!original) return;
  stock = original;
  const kernelFunc = (args: KernelArgs) => {
    const attrs = args.attrs as unknown as FilterAttrs;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return original.kernelFunc(args);
    const backend = args.backend as unknown as BackendWithData;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const dw = conv2dFilterGradient(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, info);
    return backend.makeTensorInfo(info.filterShape, 'float32', dw);
  };
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: kernelFunc as tf.KernelFunc });
  for (const [kernel, op] of Object.entries(BINARY)) installBinary(kernel, op);
  installReduce('Sum');
  installReduce('Mean');
}
