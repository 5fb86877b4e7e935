/**
 * ONNX Runtime sessions (onnxruntime-node): an execution provider chosen and named (CUDA or WebGPU
 * when asked for and present, else CPU), a recorded thread count, and a file's declared input and
 * output checked before it is run.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';

const requireHere = createRequire(import.meta.url);
let ortModule: typeof Ort | null = null;
/** onnxruntime-node, loaded on first use: the training worker loads it only for a sensitivity run (its latency table). */
function ort(): typeof Ort {
  ortModule ??= requireHere('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** onnxruntime-node's version (loads it). */
export function ortVersion(): string {
  const v = ort().env.versions;
  return v.node ?? v.common ?? 'unknown';
}

export type ProviderChoice = 'auto' | 'cpu' | 'cuda' | 'webgpu';

export interface SessionOptions {
  /** Intra-op threads (1 = one core; 0 = ONNX Runtime's default, one per core). */
  threads: number;
  /**
   * `auto` tries CUDA when its provider is installed, then CPU. WebGPU ships in onnxruntime-node
   * but is used only when asked for: on a machine without a GPU it can land on a software adapter.
   */
  provider: ProviderChoice;
}

export interface OrtSession {
  session: Ort.InferenceSession;
  provider: string;
  threads: number;
}

/** Whether onnxruntime-node's CUDA provider library is installed beside its binding (its install step fetches it). */
function cudaInstalled(): boolean {
  try {
    const dist = path.dirname(requireHere.resolve('onnxruntime-node'));
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return fs.existsSync(path.join(dist, '..', 'bin', 'napi-v6', process.platform, process.arch, lib));
  } catch {
    return false;
  }
}

function candidates(choice: ProviderChoice): string[] {
  if (choice !== 'auto') return [choice];
  const cuda = ort().listSupportedBackends().some((b) => b.name === 'cuda' && (b.bundled || cudaInstalled()));
  return cuda ? ['cuda', 'cpu'] : ['cpu'];
}

/** A session on the first provider that starts; throws the last provider's reason when none does. */
export async function openSession(model: Uint8Array | string, opts: SessionOptions): Promise<OrtSession> {
  let last: unknown = null;
  for (const provider of candidates(opts.provider)) {
    try {
      const session = await ort().InferenceSession.create(model as Uint8Array, {
        executionProviders: [provider],
        intraOpNumThreads: opts.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return { session, provider, threads: opts.threads || os.availableParallelism() };
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** Runs one NHWC float32 batch through a session whose single input and output are named. */
export async function runBatch(s: OrtSession, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const input = new (ort().Tensor)('float32', x, dims);
  const result = await s.session.run({ [s.session.inputNames[0]]: input });
  const out = result[s.session.outputNames[0]];
  const data = out.data as Float32Array;
  input.dispose();
  out.dispose();
  return data;
}

export async function closeSession(s: OrtSession): Promise<void> {
  await s.session.release();
}
