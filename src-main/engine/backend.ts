/**
 * Chooses the fastest TF.js backend this process can run: tfjs-node-gpu (CUDA), tfjs-node (native
 * CPU), WebGPU (Chromium's own in a renderer; Dawn through the `webgpu` package in Node), then the
 * pure-JavaScript `cpu` backend. Every candidate that is skipped says why.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendReport } from '../contract';
import { installCpuKernels } from './cpu-kernels';

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'cpu'];

type Attempt = { ok: true; device: string | null } | { ok: false; reason: string };

/** Imports a module whose name is only known at run time, so bundlers leave optional packages alone. */
async function optionalImport(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 200);
}

async function tryTfjsNode(pkg: string): Promise<Attempt> {
  try {
    await optionalImport(pkg);
  } catch (e) {
    return { ok: false, reason: `${pkg} is not installed or failed to load (${message(e)})` };
  }
  if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but its backend did not start` };
  return { ok: true, device: pkg.endsWith('-gpu') ? 'CUDA (libtensorflow)' : 'CPU (libtensorflow)' };
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface NavigatorGpuLike {
  gpu?: { requestAdapter(opts?: object): Promise<GpuAdapterLike | null> };
}

/** In Node, expose Dawn's WebGPU as `navigator.gpu` (the webgpu package) before TF.js looks for it. */
async function installDawn(): Promise<string | null> {
  const g = globalThis as unknown as { navigator?: NavigatorGpuLike; window?: unknown };
  if (g.navigator?.gpu) return null;
  try {
    const dawn = (await optionalImport('webgpu')) as { create: (flags: string[]) => unknown; globals: object };
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
    if (!g.window) (globalThis as Record<string, unknown>).window = globalThis;
    return null;
  } catch (e) {
    return `the webgpu (Dawn) package is not available (${message(e)})`;
  }
}

async function tryWebGpu(): Promise<Attempt> {
  const missing = await installDawn();
  if (missing) return { ok: false, reason: missing };
  const gpu = (globalThis as unknown as { navigator?: NavigatorGpuLike }).navigator?.gpu;
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = (await gpu?.requestAdapter({ powerPreference: 'high-performance' })) ?? null;
  } catch (e) {
    return { ok: false, reason: `requesting a WebGPU adapter failed (${message(e)})` };
  }
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter: no usable GPU driver (Vulkan/Metal/D3D12) was found' };
  try {
    await optionalImport('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the WebGPU backend did not initialise' };
  } catch (e) {
    return { ok: false, reason: `the WebGPU backend failed to load (${message(e)})` };
  }
  const info = adapter.info ?? {};
  const device = [info.vendor, info.architecture, info.device || info.description].filter(Boolean).join(' ');
  return { ok: true, device: device || 'WebGPU adapter' };
}

async function tryCpu(): Promise<Attempt> {
  await tf.setBackend('cpu');
  installCpuKernels();
  return { ok: true, device: 'CPU (pure JavaScript)' };
}

const ATTEMPTS: Record<BackendName, () => Promise<Attempt>> = {
  'tensorflow-gpu': () => tryTfjsNode('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => tryTfjsNode('@tensorflow/tfjs-node'),
  webgpu: tryWebGpu,
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
    const result = await ATTEMPTS[name]();
    tried.push({ name, available: result.ok, reason: result.ok ? 'selected' : result.reason });
    if (result.ok) return { chosen: tf.getBackend(), device: result.device, tried };
  }
  const why = tried.map((t) => `${t.name}: ${t.reason}`).join('; ');
  throw new Error(`backend '${choice}' cannot run here (${why}); choose --backend auto or cpu`);
}
