/**
 * The WebGPU attempt: Chromium's own `navigator.gpu` in a renderer, Dawn (the `webgpu` package) in
 * Node. A software or fallback adapter (Mesa's lavapipe/llvmpipe, SwiftShader, WARP, anything that
 * reports itself as CPU, software or fallback) computes on the CPU, slower than the CPU engines:
 * `auto` passes it over without touching any global; naming `webgpu` uses it, and the device
 * description then starts with "software".
 */
import * as tf from '@tensorflow/tfjs';
import { message, optionalImport, type Attempt } from './backend-util';

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(opts?: object): Promise<GpuAdapterLike | null>;
}
interface Dawn {
  create: (flags: string[]) => GpuLike;
  globals: object;
}

const SOFTWARE = /\b(cpu|software|fallback|llvmpipe|lavapipe|swiftshader|softpipe|warp)\b/i;

/** True for an adapter that computes on the CPU. */
export function isSoftwareAdapter(adapter: GpuAdapterLike): boolean {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((t) => !!t && SOFTWARE.test(t));
}

export function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  const text =
    [info.vendor, info.architecture, info.device || info.description].filter(Boolean).join(' ') || 'WebGPU adapter';
  return isSoftwareAdapter(adapter) ? `software WebGPU adapter (${text})` : text;
}

let dawn: Dawn | null = null;

/** The platform's WebGPU: the page's own, else Dawn's (loaded once, no globals touched yet). */
async function findGpu(): Promise<GpuLike | string> {
  const own = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (own) return own;
  try {
    dawn ??= (await optionalImport('webgpu')) as Dawn;
    return dawn.create([]);
  } catch (e) {
    return `the webgpu (Dawn) package is not available (${message(e)})`;
  }
}

/**
 * TF.js's WebGPU backend registers itself on import only if `window` and `navigator.gpu` exist. In
 * Node they are set for the import, and `window` is removed again: Emscripten (the wasm backend)
 * takes a defined `window` to mean a browser and would then fetch its binary over XHR.
 */
async function importWebGpuBackend(gpu: GpuLike): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  if (dawn && !(g.navigator as { gpu?: unknown } | undefined)?.gpu) {
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(g.navigator as object), gpu },
      configurable: true,
      writable: true,
    });
  }
  const addedWindow = g.window === undefined;
  if (addedWindow) g.window = globalThis;
  try {
    await optionalImport('@tensorflow/tfjs-backend-webgpu');
  } finally {
    if (addedWindow) delete g.window;
  }
}

export async function tryWebGpu(auto: boolean): Promise<Attempt> {
  const gpu = await findGpu();
  if (typeof gpu === 'string') return { ok: false, reason: gpu };
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `requesting a WebGPU adapter failed (${message(e)})` };
  }
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter: no usable GPU driver (Vulkan/Metal/D3D12) was found' };
  const device = describeAdapter(adapter);
  if (auto && isSoftwareAdapter(adapter)) {
    return {
      ok: false,
      usable: true,
      reason: `skipped by auto: the only adapter is a ${device}, slower than the CPU engines; --backend webgpu uses it`,
    };
  }
  try {
    await importWebGpuBackend(gpu);
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the WebGPU backend did not initialise' };
  } catch (e) {
    return { ok: false, reason: `the WebGPU backend failed to load (${message(e)})` };
  }
  return { ok: true, device };
}
