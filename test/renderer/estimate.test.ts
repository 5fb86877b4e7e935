import { describe, expect, it } from 'vitest';
import type { EpochMetrics, RunSummary } from '../../src-main/contract';
import {
  estimateSeconds,
  isCpuBackend,
  machineDefaults,
  recordedSpeed,
  speedSource,
  trainImages,
} from '../../src-renderer/src/lib/estimate';
import { runStage } from '../../src-renderer/src/lib/stage';

const ep = (epoch: number, samplesPerSec: number): EpochMetrics =>
  ({ phase: 'train', epoch, samplesPerSec }) as unknown as EpochMetrics;
const run = (id: string, backend: string, widthDivisor: number, createdAt: string, status = 'done'): RunSummary =>
  ({ id, status, backend, widthDivisor, createdAt, final: { backend } }) as unknown as RunSummary;

describe('defaults this machine can finish', () => {
  it('sizes the launcher for a CPU backend and leaves a GPU one alone', () => {
    expect(machineDefaults('cpu')).toMatchObject({ widthDivisor: 16, trainPerClass: 80, testPerClass: 40 });
    expect(machineDefaults('cpu')!.reason).toContain('cpu backend');
    expect(machineDefaults('tensorflow')).not.toBeNull();
    expect(machineDefaults('webgpu')).toBeNull();
    expect(machineDefaults('tensorflow-gpu')).toBeNull();
    expect(machineDefaults(null)!.reason).toContain('until the host reports its backend');
    expect(isCpuBackend('wasm')).toBe(true);
  });
});

describe('estimated duration from recorded speed', () => {
  it('takes the median speed of trained epochs, not the SVD + BN measurement', () => {
    expect(recordedSpeed([ep(0, 0), ep(1, 30), ep(2, 40), ep(3, 90)])).toBe(40);
    expect(recordedSpeed([ep(1, 30), ep(2, 40)])).toBe(35);
    expect(recordedSpeed([ep(0, 0)])).toBeNull();
  });

  it('takes the newest finished run on the same backend and width', () => {
    const runs = [
      run('old', 'cpu', 16, '2026-01-01'),
      run('new', 'cpu', 16, '2026-02-01'),
      run('wide', 'cpu', 1, '2026-03-01'),
      run('gpu', 'webgpu', 16, '2026-03-01'),
      run('failed', 'cpu', 16, '2026-04-01', 'failed'),
    ];
    expect(speedSource(runs, 'cpu', 16)?.id).toBe('new');
    expect(speedSource(runs, 'tensorflow', 16)).toBeNull();
  });

  it('multiplies images by epochs over the speed; greedy spans one or two passes', () => {
    const base = { epochs: 12, fineTuneEpochs: 1, secondPass: true, trainImages: 800 };
    expect(estimateSeconds({ ...base, protocol: 'baseline' }, 40)).toEqual([240, 240]);
    expect(estimateSeconds({ ...base, protocol: 'greedy' }, 40)).toEqual([320, 640]);
    expect(estimateSeconds({ ...base, protocol: 'greedy', secondPass: false }, 40)).toEqual([320, 320]);
  });

  it("counts training images from the slice, capped by the dataset's own count", () => {
    expect(trainImages(80, { train: 15_000, classes: 10 })).toBe(800);
    expect(trainImages(0, { train: 15_000, classes: 10 })).toBe(15_000);
    expect(trainImages(5000, { train: 15_000, classes: 10 })).toBe(15_000);
    expect(trainImages(80, null)).toBeNull();
  });
});

describe('where a run is in its phases', () => {
  const rec = (pass: 1 | 2, kept: boolean) => ({ block: 'b', label: 'b', pass, testAcc: 0.5, kept });
  it('counts greedy steps, with the second pass sized once the first has ended', () => {
    expect(runStage('greedy', 'conv2_1 (pass 1)', [], true)).toBe('step 1 of 16 (pass 1; pass 2 retries the rejected)');
    const pass1 = Array.from({ length: 16 }, (_, i) => rec(1, i % 4 !== 0));
    expect(runStage('greedy', 'x', pass1, true)).toBe('step 17 of 20 (pass 2)');
    expect(runStage('greedy', 'x', pass1.slice(0, 5), false)).toBe('step 6 of 16');
  });
  it("names ours' two phases and leaves single-phase runs alone", () => {
    expect(runStage('ours', 'distill', [], true)).toBe('phase 2 of 2: distillation');
    expect(runStage('baseline', 'train', [], true)).toBeNull();
  });
});
