/**
 * Engine choice: software WebGPU adapters are recognised from what adapters report, and `auto` walks
 * the order GPU > tfjs-node > wasm > cpu, recording why it passed over each engine before the one
 * it chose.
 */
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, selectBackend } from '../src-main/engine/backend';
import { describeAdapter, isSoftwareAdapter } from '../src-main/engine/webgpu';

describe('software WebGPU adapters', () => {
  const lavapipe = {
    info: {
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe-llvm-15-0-6-256-bits-',
      description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)',
      isFallbackAdapter: true,
    },
  };
  it('recognises lavapipe (as Dawn reports it here), SwiftShader, and any adapter flagged as fallback or CPU', () => {
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(
      isSoftwareAdapter({ info: { vendor: 'google', architecture: '', description: 'SwiftShader Device (Subzero)' } }),
    ).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' } })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true, info: { vendor: 'x' } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: 'microsoft', architecture: 'cpu' } })).toBe(true);
  });
  it('takes hardware adapters for what they are', () => {
    expect(isSoftwareAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' } })).toBe(
      false,
    );
    expect(isSoftwareAdapter({ info: { vendor: 'apple', architecture: 'metal-3' } })).toBe(false);
    expect(isSoftwareAdapter({ info: { vendor: 'intel', architecture: 'gen-12lp' } })).toBe(false);
  });
  it('names a software adapter as such in the device description (the run record)', () => {
    expect(describeAdapter(lavapipe)).toMatch(/^software WebGPU adapter \(mesa software llvmpipe/);
    expect(describeAdapter({ info: { vendor: 'nvidia', architecture: 'hopper' } })).toBe('nvidia hopper');
  });
});

describe('selectBackend', () => {
  it('tries the engines in order and says why it passed over each one before the chosen', async () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    const report = await selectBackend('auto');
    const names = report.tried.map((t) => t.name);
    expect(names).toEqual(BACKEND_ORDER.slice(0, names.length));
    expect(report.tried.at(-1)).toMatchObject({ name: report.chosen, available: true, reason: 'selected' });
    for (const t of report.tried.slice(0, -1)) expect(t.reason.length, `${t.name}: ${t.reason}`).toBeGreaterThan(10);
    // Wherever this runs, a CPU engine at least as fast as wasm is chosen, or a hardware GPU.
    expect(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']).toContain(report.chosen);
    if (report.chosen === 'webgpu') expect(report.device).not.toMatch(/^software/);
  });
});
