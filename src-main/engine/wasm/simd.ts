/**
 * The project's WebAssembly SIMD kernels (simd.wat) instantiated on TF.js's wasm heap: the module
 * imports the backend's own WebAssembly.Memory, so it reads and writes tensors in place, by the byte
 * offsets the backend records for them, with no copy in or out. One instance per backend module.
 */
import * as tf from '@tensorflow/tfjs';
import { SIMD_WASM_BASE64 } from './simd-binary';

export interface SimdExports {
  adam(
    px: number, pm: number, pv: number, pg: number, pnx: number, pnm: number, pnv: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, c1: number, c2: number, eps: number, negLr: number,
  ): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  im2col(
    src: number, dst: number, b: number, h: number, w: number, c: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, oh: number, ow: number,
  ): void;
  im2colT(
    src: number, dst: number, b: number, h: number, w: number, c: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, oh: number, ow: number,
  ): void;
  maxPoolGrad(
    px: number, pdy: number, pdx: number, b: number, h: number, w: number, c: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, oh: number, ow: number,
  ): void;
  sums(pa: number, pb: number, pmean: number, n: number, c: number, ps1: number, ps2: number): void;
  affine(pa: number, pb: number, pout: number, n: number, c: number, pmean: number, pk: number, pu: number, pv: number): void;
}

interface EmscriptenModule {
  asm: { memory: WebAssembly.Memory };
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

interface WasmBackendInternals {
  wasm: EmscriptenModule;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
}

export class Simd {
  readonly k: SimdExports;
  private scratchPtr = 0;
  private scratchBytes = 0;
  constructor(private readonly backend: WasmBackendInternals) {
    const bytes = Uint8Array.from(atob(SIMD_WASM_BASE64), (ch) => ch.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: backend.wasm.asm.memory } });
    this.k = instance.exports as unknown as SimdExports;
  }
  /** The byte offset of a tensor's data on the heap. */
  ptr(t: tf.TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).memoryOffset;
  }
  /**
   * `bytes` of scratch memory on the heap (16-byte aligned), kept between calls and grown when a call
   * needs more. Views of the heap taken before this call may be detached; take them after.
   */
  scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.backend.wasm._free(this.scratchPtr);
      this.scratchBytes = Math.max(bytes, 2 * this.scratchBytes, 4096);
      this.scratchPtr = this.backend.wasm._malloc(this.scratchBytes + 16);
      if (!this.scratchPtr) throw new Error('the wasm heap could not allocate scratch memory');
    }
    return (this.scratchPtr + 15) & ~15;
  }
  /**
   * Per-channel sums over the rows of [n, c] (simd.wat `sums`, float64): s1 = sum(a), s2 = sum(a * (b -
   * mean)), the mean taken as 0 when `pmean` is null. One scratch allocation holds s1, s2, c zeros and
   * `extra` float32 arrays of c for the caller; the views and pointers returned are taken after it.
   */
  channelSums(pa: number, pb: number, pmean: number | null, n: number, c: number, extra = 0): { s1: Float64Array; s2: Float64Array; zeros: number; extra: number[] } {
    const base = this.scratch((20 + 4 * extra) * c);
    const [pS1, pS2, zeros] = [base, base + 8 * c, base + 16 * c];
    this.f32(zeros, c).fill(0);
    this.k.sums(pa, pb, pmean ?? zeros, n, c, pS1, pS2);
    return { s1: this.f64(pS1, c), s2: this.f64(pS2, c), zeros, extra: Array.from({ length: extra }, (_, i) => base + (20 + 4 * i) * c) };
  }
  /** float32 and float64 views of the heap (after any allocation). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.backend.wasm.HEAPU8.buffer, ptr, length);
  }
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.backend.wasm.HEAPU8.buffer, ptr, length);
  }
}

const instances = new WeakMap<object, Simd | null>();
let disabled = false;

/** Turns the SIMD kernels off (benchmarks' A/B; the JavaScript versions run instead). */
export function disableSimdKernels(off = true): void {
  disabled = off;
}

/**
 * The SIMD kernels for this wasm backend (instantiated on first use), or null where this runtime
 * has no WebAssembly SIMD (the callers then run their JavaScript versions).
 */
export function simdFor(backend: unknown): Simd | null {
  if (disabled) return null;
  const b = backend as WasmBackendInternals;
  let s = instances.get(b.wasm);
  if (s === undefined) {
    try {
      s = new Simd(b);
    } catch {
      s = null;
    }
    instances.set(b.wasm, s);
  }
  return s;
}
