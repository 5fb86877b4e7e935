/**
 * Composing kernels on TF.js's WebAssembly backend from its own kernels: a Composer runs the
 * backend's stock kernel functions on TensorInfos (no engine bookkeeping, no tape) and frees every
 * intermediate once the composed kernel has its result.
 */
import * as tf from '@tensorflow/tfjs';
import { simdFor } from './simd';

export type Info = tf.TensorInfo;
export type Attrs = Record<string, unknown>;
type Inputs = Record<string, Info> | Info[];

export interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  disposeData(dataId: object): boolean;
  write(values: Float32Array, shape: number[], dtype: 'float32'): object;
  readSync(dataId: object): Float32Array;
}

/** What a kernel written in JavaScript needs from the wasm backend: outputs, and views on the heap. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
}

/**
 * For a kernel that computes in JavaScript on the wasm heap: allocates the outputs of `outShapes`,
 * then views the inputs and outputs (in that order: allocating can grow the heap, which detaches
 * every view taken before). Answers the outputs and their views and the inputs' views.
 */
export function onHeap(backend: unknown, inputs: Info[], outShapes: number[][]): { outs: Info[]; out: Float32Array[]; in: Float32Array[] } {
  const b = backend as HeapBackend;
  const outs = outShapes.map((shape) => b.makeOutput(shape, 'float32'));
  return { outs, in: inputs.map((t) => b.typedArrayFromHeap(t)), out: outs.map((t) => b.typedArrayFromHeap(t)) };
}

/** Kernel functions of the wasm backend as registered before this module replaced any of them. */
export const stock = new Map<string, tf.KernelFunc>();

export class Composer {
  private readonly temps: Info[] = [];
  constructor(private readonly backend: WasmBackend) {}

  run(name: string, inputs: Inputs, attrs: Attrs = {}): Info {
    const fn = stock.get(name);
    if (!fn) throw new Error(`the wasm backend has no ${name} kernel`);
    const out = fn({ inputs: inputs as never, attrs: attrs as never, backend: this.backend as never }) as Info;
    this.temps.push(out);
    return out;
  }
  constant(shape: number[], values: Float32Array): Info {
    const out: Info = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
    this.temps.push(out);
    return out;
  }
  filled(shape: number[], value: number): Info {
    return this.constant(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value));
  }
  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }
  transpose(x: Info, perm: number[]): Info {
    const simd = simdFor(this.backend);
    if (simd && perm.length === 2 && perm[0] === 1) {
      const [r, c] = x.shape;
      const out = this.output([c, r]);
      simd.k.transpose(simd.ptr(x), simd.ptr(out), r, c);
      return out;
    }
    return this.run('Transpose', { x }, { perm });
  }
  /** A new float32 output on the heap, freed with the other intermediates. */
  output(shape: number[]): Info {
    const out = this.backend.makeOutput(shape, 'float32');
    this.temps.push(out);
    return out;
  }
  /** scale * the sums over the rows of x [n, c] (c a multiple of 4), accumulated in float64: [c]. */
  columnSums(x: Info, scale: number): Info {
    const [n, c] = x.shape;
    const out = this.output([c]);
    const simd = simdFor(this.backend)!;
    const { s1 } = simd.channelSums(simd.ptr(x), simd.ptr(x), null, n, c);
    const o = simd.f32(simd.ptr(out), c);
    for (let j = 0; j < c; j++) o[j] = s1[j] * scale;
    return out;
  }
  /** MaxPool's gradient for the pooling `info` (simd.wat maxPoolGrad): dx shaped like x. */
  maxPoolGrad(dy: Info, x: Info, info: tf.backend_util.Conv2DInfo): Info {
    const simd = simdFor(this.backend)!;
    const out = this.output(x.shape);
    const [b, h, w, c] = x.shape;
    simd.k.maxPoolGrad(simd.ptr(x), simd.ptr(dy), simd.ptr(out), b, h, w, c, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth);
    return out;
  }
  /** Whether the SIMD kernels (simd.wat) run on this backend. */
  get simd(): boolean {
    return simdFor(this.backend) != null;
  }
  /**
   * im2col through the SIMD module: [N, kh * kw * C] ordered (i, j, c), N = batch * outH * outW,
   * zeros where a tap falls on padding; `transposed`: [kh * kw * C, N], written directly.
   */
  im2col(x: Info, info: tf.backend_util.Conv2DInfo, transposed = false): Info {
    const simd = simdFor(this.backend)!;
    const { filterHeight: kh, filterWidth: kw, inChannels: c, batchSize: b, outHeight: oh, outWidth: ow } = info;
    const out = this.output(transposed ? [kh * kw * c, b * oh * ow] : [b * oh * ow, kh * kw * c]);
    const [, h, w] = x.shape;
    const args = [simd.ptr(x), simd.ptr(out), b, h, w, c, kh, kw, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, oh, ow] as const;
    if (transposed) simd.k.im2colT(...args);
    else simd.k.im2col(...args);
    return out;
  }
  /** [1, M, K] x [1, K, N]: the untransposed batch-1 product the backend sends to XNNPACK. */
  matmul(a: Info, b: Info): Info {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }
  pad(x: Info, paddings: [number, number][]): Info {
    return paddings.every(([p, q]) => p === 0 && q === 0)
      ? x
      : this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }
  /**
   * Reverses the order of the leading `taps` entries of a [taps, ...] tensor (a filter's flattened
   * kh x kw grid, i.e. both spatial axes flipped): one block copy per tap, where the backend's
   * Reverse and GatherV2 go element by element.
   */
  flipTaps(x: Info, taps: number): Info {
    const v = this.backend.readSync(x.dataId);
    const block = v.length / taps;
    const out = new Float32Array(v.length);
    for (let t = 0; t < taps; t++) out.set(v.subarray((taps - 1 - t) * block, (taps - t) * block), t * block);
    return this.constant(x.shape, out);
  }
  /** Frees every intermediate except `result` (which may share data with one of them). */
  finish(result: Info): Info {
    for (const t of this.temps) if (t !== result) this.backend.disposeData(t.dataId);
    return result;
  }
}
