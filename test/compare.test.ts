/**
 * buildComparison and comparisonMarkdown are pure: RunRecords in, a Comparison and the study's
 * tables out. The numbers are the study's own final table, checked against hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import { RunConfigSchema, type FinalMetrics, type GreedyRecord, type RunRecord } from '../src-main/contract';
import { buildComparison, comparisonMarkdown, percentDiff } from '../src-main/store/compare';
import { StoreError } from '../src-main/store/errors';

function final(f: Partial<FinalMetrics>): FinalMetrics {
  return {
    trainAcc: 0,
    testAcc: 0,
    params: 0,
    weightsMiB: 0,
    blocksSwapped: 0,
    inferenceSeconds: 0,
    inferenceBatch: 256,
    inferenceImages: 10000,
    backend: 'tensorflow',
    trainSeconds: 0,
    epochsTrained: 1,
    ...f,
  };
}

function run(id: string, name: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name,
    tags: [],
    protocol: 'baseline',
    status: 'done',
    statusReason: null,
    config: RunConfigSchema.parse({ protocol: 'baseline', data: { path: 'x' }, epochs: 1, batchSize: 32 }),
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    backend: 'tensorflow',
    device: null,
    datasetChecksum: null,
    appVersion: '0.1.0',
    final: null,
    epochs: [],
    greedy: [],
    swapped: [],
    checkpointPath: null,
    weightsPath: null,
    ...extra,
  };
}

// The study's table: classical resnet50 vs DWConv resnet50.
const classical = run('c', 'classical resnet50', {
  final: final({ trainAcc: 0.86, testAcc: 0.81, inferenceSeconds: 19.9, params: 26_220_000, weightsMiB: 100.36 }),
  epochs: [
    {
      phase: 'train',
      epoch: 1,
      loss: 0.5,
      trainAcc: 0.86,
      testAcc: 0.81,
      testLoss: 0.6,
      seconds: 100,
      samplesPerSec: 500,
    },
  ],
});

const greedy: GreedyRecord[] = [
  { block: 'conv2_block1', label: 'conv2_1', pass: 1, testAcc: 0.8, kept: true },
  { block: 'conv2_block2', label: 'conv2_2', pass: 1, testAcc: 0.6, kept: false },
  { block: 'conv2_block2', label: 'conv2_2', pass: 2, testAcc: 0.79, kept: true },
];

const dwconv = run('d', 'DWConv resnet50', {
  protocol: 'greedy',
  final: final({
    trainAcc: 0.85,
    testAcc: 0.79,
    inferenceSeconds: 19.6,
    params: 19_730_000,
    weightsMiB: 75.56,
    blocksSwapped: 2,
  }),
  greedy,
  swapped: ['conv2_block1', 'conv2_block2'],
});

describe('buildComparison', () => {
  it("reproduces the study's differences: -24.75% parameters and -24.71% weight", () => {
    const c = buildComparison([classical, dwconv]);
    expect(c.referenceId).toBe('c');
    const [ref, dw] = c.rows;
    expect(ref).toMatchObject({
      trainAcc: 0.86,
      testAcc: 0.81,
      inferenceSeconds: 19.9,
      paramsM: 26.22,
      weightsMiB: 100.36,
      blocksSwapped: 0,
    });
    expect(ref.diff).toEqual({ trainAcc: 0, testAcc: 0, inferenceSeconds: 0, params: 0, weightsMiB: 0 });
    expect(dw.paramsM).toBeCloseTo(19.73, 10);
    expect(dw.blocksSwapped).toBe(2);
    // (19.73 - 26.22) / 26.22 * 100 = -24.7521..., (75.56 - 100.36) / 100.36 * 100 = -24.7110...
    expect(dw.diff.params).toBeCloseTo(-24.7521, 3);
    expect(dw.diff.weightsMiB).toBeCloseTo(-24.711, 3);
    // (0.85 - 0.86) / 0.86 = -1.1628%, (0.79 - 0.81) / 0.81 = -2.4691%, (19.6 - 19.9) / 19.9 = -1.5075%
    expect(dw.diff.trainAcc).toBeCloseTo(-1.1628, 3);
    expect(dw.diff.testAcc).toBeCloseTo(-2.4691, 3);
    expect(dw.diff.inferenceSeconds).toBeCloseTo(-1.5075, 3);
  });

  it('measures against the chosen reference run', () => {
    const c = buildComparison([classical, dwconv], 'd');
    expect(c.referenceId).toBe('d');
    // (26.22 - 19.73) / 19.73 * 100 = +32.894...
    expect(c.rows[0].diff.params).toBeCloseTo(32.894, 3);
    expect(c.rows[1].diff.params).toBe(0);
  });

  it('gives null where a run has no final metrics or the reference value is 0', () => {
    const unfinished = run('u', 'unfinished', { swapped: ['conv3_1'] });
    const zero = run('z', 'zero', { final: final({ trainAcc: 0.5 }) });
    const c = buildComparison([zero, unfinished, classical]);
    expect(c.rows[1]).toMatchObject({ trainAcc: null, paramsM: null, blocksSwapped: 1 });
    expect(c.rows[1].diff).toEqual({
      trainAcc: null,
      testAcc: null,
      inferenceSeconds: null,
      params: null,
      weightsMiB: null,
    });
    expect(c.rows[2].diff.trainAcc).toBeCloseTo(72, 10);
    expect(c.rows[2].diff.params).toBeNull();
    expect(percentDiff(1, Number.NaN)).toBeNull();
  });

  it('fills the per-block table from each run, using the LAST greedy record of a block', () => {
    const c = buildComparison([classical, dwconv]);
    expect(c.blocks).toHaveLength(16);
    const [b1, b2, b3] = c.blocks;
    expect(b1).toMatchObject({ name: 'conv2_block1', label: 'conv2_1' });
    expect(b1.runs.d).toEqual({ swapped: true, testAcc: 0.8, kept: true, pass: 1 });
    expect(b2.runs.d).toEqual({ swapped: true, testAcc: 0.79, kept: true, pass: 2 });
    expect(b3.runs.d).toEqual({ swapped: false, testAcc: null, kept: null, pass: null });
    expect(b1.runs.c).toEqual({ swapped: false, testAcc: null, kept: null, pass: null });
  });

  it("returns each run's epochs as its curve", () => {
    const c = buildComparison([classical, dwconv]);
    expect(c.curves).toEqual({ c: classical.epochs, d: [] });
  });

  it('refuses an empty selection and a reference that is not in it', () => {
    expect(() => buildComparison([])).toThrow(StoreError);
    expect(() => buildComparison([])).toThrow('nothing to compare; choose at least one run');
    try {
      buildComparison([classical], 'd');
      expect.unreachable();
    } catch (e) {
      expect((e as StoreError).code).toBe('not-found');
    }
  });
});

describe('comparisonMarkdown', () => {
  it("lays out the study's final table with a difference row per non-reference run", () => {
    const md = comparisonMarkdown(buildComparison([classical, dwconv]), [classical, dwconv]);
    const lines = md.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '| model | train acc | test acc | time, s | params, M | weight, MiB |',
      '| :-- | --: | --: | --: | --: | --: |',
      '| classical resnet50 | 0.8600 | 0.8100 | 19.90 | 26.22 | 100.36 |',
      '| DWConv resnet50 | 0.8500 | 0.7900 | 19.60 | 19.73 | 75.56 |',
      '| difference, DWConv resnet50 vs classical resnet50 | -1.16% | -2.47% | -1.51% | -24.75% | -24.71% |',
    ]);
  });

  it('times by ONNX Runtime under the protocol when every run was timed, not by the one engine pass', () => {
    const stats = (median: number) => ({ median, min: median, max: median, q1: median, q3: median, repeats: 5, samples: [median] });
    const timing = (ms64: number) => ({
      measuredAt: '2024-01-01T00:00:00.000Z',
      machine: 'test',
      protocol: {} as never,
      alternatedWith: ['c', 'd'],
      onnxruntime: {
        runtime: 'onnxruntime' as const,
        version: '1',
        provider: 'cpu',
        threads: 1,
        batches: [1, 64].map((batch) => ({ batch, msPerImage: stats(batch === 64 ? ms64 : 9), warmupRounds: 2, stable: true })),
      },
      engine: null,
    });
    const timed = (r: RunRecord, ms64: number) => ({ ...r, final: { ...r.final!, timing: timing(ms64) } });
    const lines = comparisonMarkdown(buildComparison([timed(classical, 4), timed(dwconv, 2)])).split('\n');
    expect(lines[0]).toBe('| model | train acc | test acc | ORT ms/image (batch 64) | params, M | weight, MiB |');
    expect(lines[2]).toContain('| 4.000 |');
    expect(lines[4], 'the difference row uses the same timing').toContain('| -50.00% |');
  });

  it('adds the per-block table: test acc and kept per run', () => {
    const md = comparisonMarkdown(buildComparison([classical, dwconv]), []);
    expect(md).toContain(
      '| block | classical resnet50: test acc | classical resnet50: kept | DWConv resnet50: test acc | DWConv resnet50: kept |',
    );
    expect(md).toContain('| conv2_1 | — | — | 0.8000 | yes |');
    expect(md).toContain('| conv2_2 | — | — | 0.7900 (pass 2) | yes |');
    expect(md).toContain('| conv5_3 | — | — | — | — |');
  });

  it('uses current names from the runs given, and escapes pipes', () => {
    const c = buildComparison([classical, dwconv]);
    const md = comparisonMarkdown(c, [{ id: 'd', name: 'dw | r=1' }]);
    expect(md).toContain('| dw \\| r=1 | 0.8500 |');
    expect(md).toContain('| difference, dw \\| r=1 vs classical resnet50 |');
  });

  it('shows a swapped block of a non-greedy run as swapped', () => {
    const manual = run('m', 'manual', { protocol: 'manual', swapped: ['conv4_block6'] });
    const md = comparisonMarkdown(buildComparison([manual]));
    expect(md).toContain('| conv4_6 | — | swapped |');
    expect(md).not.toContain('difference');
  });
});
