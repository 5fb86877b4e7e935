/**
 * Kernels registered on TF.js's WebAssembly backend so that this project's training step runs there
 * at XNNPACK speed: the gradient kernels the backend lacks or has only as scalar loops
 * (conv-grads.ts), and some of its kernels rerouted where the backend takes a slow path:
 *
 * - BatchMatMul with a transposed operand (Dense layers' gradients): the backend sends only
 *   untransposed, batch-1 products to XNNPACK; here the operand is transposed explicitly first.
 * - Tile of a [1, ..., 1, C] tensor along leading axes (BatchNorm's input gradient tiles 1/sigma
 *   over the batch): ones[N, 1] x v[1, C], instead of an index computation per element.
 * - Sum and Mean over leading axes (bias gradients over N, H, W): per-column sums in float64 on the
 *   SIMD module (simd.wat `sums`), else ones[1, N] x X[N, C]; instead of a transpose and a reduction.
 * - MaxPoolGrad on the SIMD module (simd.wat `maxPoolGrad`), the backend's being a scalar loop.
 * - Identity shares its input's buffer (installSharedIdentity, below).
 * Adam (adam.ts) and training-mode BatchNorm (batchnorm-train.ts) are kernels of their own.
 *
 * Every other case goes to the backend's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { installAdamKernel } from './adam';
import { installBatchNormGrad } from './batchnorm-grad';
import { installBatchNormTraining } from './batchnorm-train';
import { type Attrs, Composer, type Info, stock, type WasmBackend } from './compose';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
} from './conv-grads';

type Impl = (k: Composer, inputs: Record<string, Info>, attrs: Attrs, fallback: () => Info) => Info;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function batchMatMul(k: Composer, a: Info, b: Info, attrs: Attrs, fallback: () => Info): Info {
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  if ((!transposeA && !transposeB) || size(a.shape.slice(0, -2)) !== 1 || size(b.shape.slice(0, -2)) !== 1)
    return fallback();
  const as3 = (x: Info, t: boolean) => {
    const [r, c] = x.shape.slice(-2);
    return t ? k.reshape(k.transpose(k.reshape(x, [r, c]), [1, 0]), [1, c, r]) : k.reshape(x, [1, r, c]);
  };
  const a3 = as3(a, transposeA);
  const b3 = as3(b, transposeB);
  return k.reshape(k.matmul(a3, b3), [...a.shape.slice(0, -2), a3.shape[1], b3.shape[2]]);
}

function tile(k: Composer, x: Info, attrs: Attrs, fallback: () => Info): Info {
  const reps = attrs.reps as number[];
  const lead = reps.findIndex((r) => r === 1) === -1 ? reps.length : reps.findIndex((r) => r === 1);
  const leadingOnly = reps.every((r, i) => (i < lead ? x.shape[i] === 1 : r === 1));
  if (x.dtype !== 'float32' || lead === 0 || lead === reps.length || !leadingOnly) return fallback();
  const n = size(reps.slice(0, lead));
  const c = size(x.shape.slice(lead));
  const out = k.matmul(k.filled([1, n, 1], 1), k.reshape(x, [1, 1, c]));
  return k.reshape(
    out,
    x.shape.map((d, i) => d * reps[i]),
  );
}

function reduceLeading(k: Composer, x: Info, attrs: Attrs, fallback: () => Info, mean: boolean): Info {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
  const r = axes.length;
  if (x.dtype !== 'float32' || r === 0 || r === x.shape.length || !axes.every((v, i) => v === i)) return fallback();
  const n = size(x.shape.slice(0, r));
  const rest = x.shape.slice(r);
  const shape = attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest;
  const c = size(rest);
  if (k.simd && c % 4 === 0) return k.reshape(k.columnSums(k.reshape(x, [n, c]), mean ? 1 / n : 1), shape);
  const out = k.matmul(k.filled([1, 1, n], mean ? 1 / n : 1), k.reshape(x, [1, n, c]));
  return k.reshape(out, shape);
}

/** MaxPool's gradient on the SIMD module (the backend's own is a scalar loop), NHWC, dilation 1. */
function maxPoolGrad(k: Composer, dy: Info, x: Info, attrs: Attrs, fallback: () => Info): Info {
  if (!k.simd || x.shape.length !== 4 || x.dtype !== 'float32') return fallback();
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  return k.maxPoolGrad(dy, x, info);
}

const IMPLS: Record<string, Impl> = {
  Conv2DBackpropFilter: (k, i, a) => conv2dBackpropFilter(k, i.x, i.dy, a),
  Conv2DBackpropInput: (k, i, a, f) => conv2dBackpropInput(k, i.dy, i.filter, a, f),
  DepthwiseConv2dNativeBackpropFilter: (k, i, a) => depthwiseBackpropFilter(k, i.x, i.dy, a),
  DepthwiseConv2dNativeBackpropInput: (k, i, a) => depthwiseBackpropInput(k, i.dy, i.filter, a),
  BatchMatMul: (k, i, a, f) => batchMatMul(k, i.a, i.b, a, f),
  Tile: (k, i, a, f) => tile(k, i.x, a, f),
  MaxPoolGrad: (k, i, a, f) => maxPoolGrad(k, i.dy, i.input, a, f),
  Sum: (k, i, a, f) => reduceLeading(k, i.x, a, f, false),
  Mean: (k, i, a, f) => reduceLeading(k, i.x, a, f, true),
};

/** The kernels this module registers on the wasm backend. */
export const WASM_TRAINING_KERNELS = Object.keys(IMPLS);

const USED = [
  'Reshape',
  'Transpose',
  'BatchMatMul',
  'PadV2',
  'Slice',
  'Tile',
  'Conv2D',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNative',
  'Multiply',
  'Sum',
  'Mean',
];

/**
 * Identity (tf.clone, and every tensor the tape saves for a gradient) shares the input's buffer, as
 * TF.js's cpu backend does, instead of copying it: tensors are immutable and no kernel here writes
 * into an input, so a copy buys nothing; a training step saved a copy of every BatchNorm input.
 */
function installSharedIdentity(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (!original || (original as { shared?: boolean }).shared) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    ...original,
    shared: true,
    kernelFunc: (args) => {
      const x = (args.inputs as Record<string, Info>).x;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  } as tf.KernelConfig);
}

/**
 * Registers the kernels above on the `wasm` backend. Idempotent; call after importing
 * @tensorflow/tfjs-backend-wasm, before or after the backend is initialised.
 */
export function installWasmKernels(): void {
  installAdamKernel();
  installBatchNormGrad();
  installBatchNormTraining();
  installSharedIdentity();
  if (stock.size > 0) return;
  for (const name of USED) {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel)
      throw new Error(`@tensorflow/tfjs-backend-wasm must be imported before installWasmKernels (no ${name} kernel)`);
    stock.set(name, kernel.kernelFunc);
  }
  for (const [name, impl] of Object.entries(IMPLS)) {
    const original = tf.getKernel(name, 'wasm');
    const kernelFunc = (args: Parameters<tf.KernelFunc>[0]) => {
      const k = new Composer(args.backend as unknown as WasmBackend);
      const fallback = () => {
        if (!original) throw new Error(`the wasm backend has no ${name} kernel for this case`);
        return original.kernelFunc(args) as Info;
      };
      return k.finish(impl(k, args.inputs as Record<string, Info>, args.attrs as Attrs, fallback));
    };
    if (original) tf.unregisterKernel(name, 'wasm');
    // The stock kernel's setupFunc binds its wasm export, which the fallbacks and the Composer call.
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: kernelFunc as tf.KernelFunc,
      setupFunc: original?.setupFunc,
    });
  }
}
