/**
 * The GPU benchmark, run in-process on the cpu backend at 1/16 width with random data: its JSON's
 * structure, that every number is positive and consistent with the others, that the budget and a
 * failing start still leave a complete file, and that every kernel the benchmarked step runs is one
 * the WebGPU backend has (so the GPU run cannot stop on a missing kernel).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu'; // registers its kernels; the backend itself needs navigator.gpu
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src-main/engine/resnet';
import { runBenchmark } from '../scripts/bench-gpu';
import { measureInference } from '../scripts/gpu/measure';
import { parseBenchArgs } from '../scripts/gpu/options';
import { EPOCH_IMAGES, REPORT_FILE, type BenchReport } from '../scripts/gpu/report';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-bench-'));
const BATCH = 8;
const IMAGES = 24;
let report: BenchReport;
let onDisk: BenchReport;
let kernels: string[];

beforeAll(async () => {
  const out = path.join(tmp, 'run');
  const profile = await tf.profile(async () => {
    report = await runBenchmark({
      backend: 'cpu',
      width: 16,
      batches: [BATCH],
      steps: 2,
      warmup: 1,
      out,
      inferBatch: BATCH,
      inferImages: IMAGES,
      inferCapS: 60,
      fitBaseline: true,
    });
    return tf.scalar(0);
  });
  // Ops built with customGrad show up under their scope name (`fusedConv2d__op`), not as kernels.
  kernels = profile.kernelNames.filter((k) => !k.endsWith('__op'));
  onDisk = JSON.parse(fs.readFileSync(path.join(out, REPORT_FILE), 'utf8')) as BenchReport;
});

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('bench-gpu on the cpu backend (width 16, random data)', () => {
  it('writes the same complete report it returns, with backend, versions and config', () => {
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(report)));
    expect(report.finished && report.fatal === null, 'finished without a fatal error').toBe(true);
    expect(report.errors, 'no measurement failed').toEqual([]);
    expect(report.backend?.chosen).toBe('cpu');
    expect(report.adapter, 'no WebGPU adapter on the cpu backend').toBeNull();
    expect(report.versions.tfjs).toBe('4.22.0');
    expect(report.config).toMatchObject({
      width: 16,
      batches: [BATCH],
      steps: 2,
      budgetS: null,
      epochImages: EPOCH_IMAGES,
    });
    expect(report.data).toMatchObject({ source: 'random', train: BATCH * 2, test: IMAGES });
  });

  it('builds the classical and the all-swapped model, the swapped one smaller', () => {
    const { classical, swapped } = report.models;
    expect(classical!.config.swapped).toEqual([]);
    expect(swapped!.config.swapped, 'all 16 blocks swapped').toHaveLength(16);
    expect(swapped!.params).toBeLessThan(classical!.params);
    expect(classical!.trainableParams).toBeGreaterThan(0);
  });

  it('times 2 training steps per model, with samples/s = batch / step time and epoch = 50,000 / samples/s', () => {
    expect(report.training.map((t) => `${t.model} ${t.loop}`)).toEqual(['classical engine', 'swapped engine']);
    expect(report.baseline.map((t) => `${t.model} ${t.loop} ${t.augment}`)).toEqual(['classical model.fit false']);
    for (const t of [...report.training, ...report.baseline]) {
      expect(t.batch).toBe(BATCH);
      expect([t.steps, t.warmupSteps]).toEqual([2, 1]);
      for (const v of [t.seconds, t.warmupSeconds, t.msPerStep, t.samplesPerSec, t.epochSeconds])
        expect(v).toBeGreaterThan(0);
      expect(close(t.msPerStep, (t.seconds * 1000) / t.steps), 'ms/step = seconds / steps').toBe(true);
      expect(close(t.samplesPerSec, t.batch / (t.msPerStep / 1000)), 'samples/s = batch / step time').toBe(true);
      expect(close(t.epochSeconds, EPOCH_IMAGES / t.samplesPerSec), 'epoch = 50,000 / samples/s').toBe(true);
      expect(t.lossFinite && Number.isFinite(t.loss), 'a finite training loss').toBe(true);
      expect(t.tensorsLeaked, 'the measurement leaks no tensors').toBe(0);
    }
    const best = Math.min(...report.training.map((t) => t.epochSeconds));
    expect(report.target).toEqual({ epochSeconds: 30, bestEpochSeconds: best, met: best <= 30 });
  });

  it('times inference at the large batch and at batch 1 for both models, projecting consistently', () => {
    expect(report.inference.map((r) => `${r.model}@${r.batch}`)).toEqual([
      `classical@${BATCH}`,
      `swapped@${BATCH}`,
      'classical@1',
      'swapped@1',
    ]);
    for (const r of report.inference) {
      expect(r.images).toBe(IMAGES);
      expect(r.timedImages).toBeGreaterThan(0);
      expect(r.timedImages).toBeLessThanOrEqual(r.images);
      expect(r.projected).toBe(r.timedImages < r.images);
      expect(r.measuredSeconds).toBeGreaterThan(0);
      expect(
        close(r.seconds, (r.measuredSeconds * r.images) / r.timedImages),
        'seconds scale from the timed images',
      ).toBe(true);
      expect(close(r.msPerImage, (r.seconds * 1000) / r.images)).toBe(true);
    }
  });

  it('runs only kernels that the WebGPU backend registers', () => {
    const webgpu = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName));
    expect(webgpu.size, 'the webgpu backend package registered its kernels').toBeGreaterThan(100);
    expect(kernels.length).toBeGreaterThan(20);
    expect(
      kernels.filter((k) => !webgpu.has(k)),
      'kernels missing on webgpu',
    ).toEqual([]);
  });
});

describe('bench-gpu when it cannot measure', () => {
  it('skips what the wall budget leaves no time for, and still writes a finished report', async () => {
    const out = path.join(tmp, 'budget');
    const r = await runBenchmark({
      backend: 'cpu',
      width: 16,
      batches: [4, 8],
      steps: 1,
      out,
      inferImages: 4,
      budgetS: 1e-6,
    });
    expect(r.finished).toBe(true);
    expect(r.training.length + r.inference.length).toBe(0);
    expect(r.skipped.map((s) => s.what)).toEqual([
      'train classical batch 4',
      'train swapped batch 4',
      'infer classical batch 1024',
      'infer swapped batch 1024',
      'infer classical batch 1',
      'infer swapped batch 1',
      'train classical batch 8',
      'train swapped batch 8',
    ]);
    expect(r.skipped.every((s) => s.reason.startsWith('budget:'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, REPORT_FILE), 'utf8')).skipped).toHaveLength(8);
  });

  it('records a failing start as one line in `fatal` and in the file', async () => {
    const out = path.join(tmp, 'fatal');
    const r = await runBenchmark({ backend: 'cpu', width: 16, data: path.join(tmp, 'missing.zip'), out });
    expect(r.fatal).toMatch(/missing\.zip/);
    expect(r.fatal).not.toContain('\n');
    expect(JSON.parse(fs.readFileSync(path.join(out, REPORT_FILE), 'utf8')).fatal).toBe(r.fatal);
  });
});

describe('bench-gpu inference timer', () => {
  it("times with the engine's own timer, whose warm-up read is asynchronous (WebGPU in Node has no dataSync)", async () => {
    const model = buildResNet50({ widthDivisor: 16 }, 1);
    const x = tf.randomNormal([6, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dataSync = tf.Tensor.prototype.dataSync;
    // What tfjs-backend-webgpu's readSync throws in Node, where there is no OffscreenCanvas.
    tf.Tensor.prototype.dataSync = () => {
      throw new ReferenceError('OffscreenCanvas is not defined');
    };
    try {
      const r = await measureInference({ kind: 'classical', model, x, batch: 2, images: 6, capS: 60 });
      expect([r.images, r.timedImages, r.projected]).toEqual([6, 6, false]);
      expect(r.seconds).toBeGreaterThan(0);
    } finally {
      tf.Tensor.prototype.dataSync = dataSync;
      tf.dispose([x]);
      model.dispose();
    }
  });
});

describe('bench-gpu command line', () => {
  it('parses lists and flags, and keeps defaults for the rest', () => {
    const o = parseBenchArgs([
      '--backend',
      'webgpu',
      '--batch',
      '1024,256',
      '--steps',
      '4',
      '--budget-s',
      '330',
      '--no-augment',
    ]);
    expect(o).toMatchObject({
      backend: 'webgpu',
      batches: [1024, 256],
      steps: 4,
      budgetS: 330,
      augment: false,
      width: 1,
      warmup: 2,
      inferBatch: 1024,
    });
    expect(o.models).toEqual(['classical', 'swapped']);
  });

  it('rejects bad values with one-line messages', () => {
    expect(() => parseBenchArgs(['--batch', '0'])).toThrow(/--batch must be an integer >= 1/);
    expect(() => parseBenchArgs(['--backend', 'cuda'])).toThrow(/--backend must be one of auto, webgpu, cpu/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/Unknown option '--frobnicate'.*--help/);
  });
});
