/**
 * What the benchmark records about a WebGPU backend: the adapter TF.js chose and the device limits
 * that bound batch sizes, and the device's uncaptured errors (WebGPU reports out-of-memory and
 * validation failures there instead of throwing, so a result computed after one is suspect).
 */
import * as tf from '@tensorflow/tfjs';

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupSizeX',
] as const;

interface DeviceLike {
  limits?: Record<string, number>;
  features?: Iterable<string>;
  lost?: Promise<{ reason?: string; message?: string }>;
  onuncapturederror?: ((ev: { error?: { message?: string } }) => void) | null;
}

interface WebGpuBackendLike {
  adapterInfo?: { vendor?: string; architecture?: string };
  device?: DeviceLike;
}

function webgpuBackend(): WebGpuBackendLike | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as WebGpuBackendLike) : null;
}

function describe(b: WebGpuBackendLike): Record<string, unknown> {
  const limits: Record<string, number> = {};
  for (const name of LIMITS) {
    const v = b.device?.limits?.[name];
    if (v !== undefined) limits[name] = Number(v);
  }
  return {
    vendor: b.adapterInfo?.vendor ?? null,
    architecture: b.adapterInfo?.architecture ?? null,
    features: b.device?.features ? Array.from(b.device.features) : [],
    limits,
  };
}

/**
 * Adapter vendor/architecture, device features and limits; null unless the backend is webgpu.
 * Never throws: what Dawn's objects do not expose becomes an `error` entry instead.
 */
export function adapterReport(): Record<string, unknown> | null {
  const b = webgpuBackend();
  if (!b) return null;
  try {
    return describe(b);
  } catch (e) {
    return { vendor: b.adapterInfo?.vendor ?? null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Calls `report` for every uncaptured device error and for device loss; no-op off webgpu. */
export function watchDevice(report: (text: string) => void): void {
  const device = webgpuBackend()?.device;
  if (!device) return;
  try {
    device.onuncapturederror = (ev) => report(ev.error?.message?.split('\n')[0] ?? 'uncaptured WebGPU error');
    void device.lost?.then((info) => report(`device lost (${info.reason ?? 'unknown'}): ${info.message ?? ''}`));
  } catch {
    // A Dawn build without these hooks: its errors then reach stderr only.
  }
}
