/**
 * Chooses the fastest TF.js backend this process can run: hardware GPUs first (tfjs-node-gpu on
 * CUDA, then WebGPU on a hardware adapter: Chromium's own in a renderer, Dawn through the `webgpu`
 * package in Node), then the CPU engines: tfjs-node (libtensorflow), the WebAssembly backend with
 * this project's training kernels (XNNPACK), and the pure-JavaScript `cpu` backend.
 *
 * A software or fallback WebGPU adapter (Mesa's lavapipe/llvmpipe, SwiftShader, any adapter that
 * reports itself as CPU, software or fallback) is slower than the CPU engines, so `auto` never
 * picks it; naming `webgpu` still uses it, and the device then says "software". Every candidate
 * that is skipped says why.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendReport } from '../contract';
import { message, optionalImport, type Attempt } from './backend-util';
import { installCpuKernels } from './cpu-kernels';
import { tryWebGpu } from './webgpu';

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

async function tryTfjsNode(pkg: string): Promise<Attempt> {
  try {
    await optionalImport(pkg);
  } catch (e) {
    return { ok: false, reason: `${pkg} is not installed or failed to load (${message(e)})` };
  }
  if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but its backend did not start` };
  return { ok: true, device: pkg.endsWith('-gpu') ? 'CUDA (libtensorflow)' : 'CPU (libtensorflow)' };
}

async function tryWasm(): Promise<Attempt> {
  try {
    const { startWasm } = await import('./wasm/load');
    return { ok: true, device: await startWasm() };
  } catch (e) {
    return { ok: false, reason: `the WebAssembly backend failed to start (${message(e)})` };
  }
}

async function tryCpu(): Promise<Attempt> {
  await tf.setBackend('cpu');
  installCpuKernels();
  return { ok: true, device: 'CPU (pure JavaScript)' };
}

const ATTEMPTS: Record<BackendName, (auto: boolean) => Promise<Attempt>> = {
  'tensorflow-gpu': () => tryTfjsNode('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => tryTfjsNode('@tensorflow/tfjs-node'),
  webgpu: tryWebGpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Selects a backend. `auto` tries them fastest-first; naming one forces it (and fails with a clear
 * message when it cannot run). The env var DWSWAP_BACKEND overrides `auto`.
 */
export async function selectBackend(wanted: BackendName | 'auto' = 'auto'): Promise<BackendReport> {
  const env = process.env.DWSWAP_BACKEND as BackendName | undefined;
  const choice = wanted === 'auto' && env && BACKEND_ORDER.includes(env) ? env : wanted;
  const order = choice === 'auto' ? BACKEND_ORDER : [choice];
  const tried: BackendReport['tried'] = [];
  for (const name of order) {
    const result = await ATTEMPTS[name](choice === 'auto');
    tried.push({ name, available: result.ok || !!result.usable, reason: result.ok ? 'selected' : result.reason });
    if (result.ok) return { chosen: tf.getBackend(), device: result.device, tried };
  }
  const why = tried.map((t) => `${t.name}: ${t.reason}`).join('; ');
  throw new Error(`backend '${choice}' cannot run here (${why}); choose --backend auto or cpu`);
}
