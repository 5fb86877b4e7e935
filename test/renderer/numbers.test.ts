import { describe, expect, it } from 'vitest';
import type { CompareRow, RunRecord } from '../../src-main/contract';
import { differences, rowDiffs, secondsPerImage } from '../../src-renderer/src/lib/comparability';
import { formatThreshold, paramsUnit, runLabels, runLetter } from '../../src-renderer/src/lib/numbers';

describe('parameter counts shown together stay distinct', () => {
  it('uses thousands below a million, with the decimals that separate the values', () => {
    const u = paramsUnit([75_870, 73_966, 111_138]);
    expect(u.name).toBe('thousand');
    expect([75_870, 73_966].map(u.format)).toEqual(['75.9', '74.0']);
    const close = paramsUnit([75_870, 75_910]);
    expect([75_870, 75_910].map(close.format)).toEqual(['75.87', '75.91']);
    const closer = paramsUnit([75_870, 75_874]);
    expect([75_870, 75_874].map(closer.format)).toEqual(['75.870', '75.874']);
  });

  it('uses millions when every count has one', () => {
    const u = paramsUnit([26_215_818, 16_190_026]);
    expect(u.name).toBe('million');
    expect(u.format(26_215_818)).toBe('26.22');
    expect(u.format(null)).toBe('—');
  });
});

describe('thresholds and run letters', () => {
  it('formats a threshold as a percentage and says what it is relative to', () => {
    expect(formatThreshold('relative', 0.7 / 0.81)).toBe('86.4% of the baseline’s test accuracy');
    expect(formatThreshold('absolute', 0.7)).toBe('70.0% test accuracy');
  });

  it('letters runs A..Z, then AA', () => {
    expect([0, 1, 25, 26, 27].map(runLetter)).toEqual(['A', 'B', 'Z', 'AA', 'AB']);
    expect([...runLabels(['x', 'y']).entries()]).toEqual([
      ['x', 'A'],
      ['y', 'B'],
    ]);
  });
});

const rec = (
  id: string,
  o: { test?: number; train?: number; backend?: string; images?: number; width?: number },
): RunRecord =>
  ({
    id,
    backend: o.backend ?? 'cpu',
    device: null,
    datasetChecksum: 'abc',
    config: {
      data: { path: '/d.zip', trainPerClass: o.train ?? 80, testPerClass: o.test ?? 40 },
      model: { widthDivisor: o.width ?? 16 },
      inferenceBatch: 256,
      backend: 'auto',
    },
    final: { backend: o.backend ?? 'cpu', inferenceBatch: 256, inferenceImages: o.images ?? 400 },
  }) as unknown as RunRecord;
const row = (id: string, seconds: number): CompareRow =>
  ({ id, name: id, inferenceSeconds: seconds, diff: {} }) as unknown as CompareRow;

describe('comparability', () => {
  const labels = runLabels(['a', 'b']);

  it('lists what two runs differ in, and nothing for like runs', () => {
    expect(differences([rec('a', {}), rec('b', {})], labels)).toEqual([]);
    const d = differences([rec('a', {}), rec('b', { train: 20, test: 10, images: 100, width: 8 })], labels);
    expect(d.map((x) => x.what)).toEqual(['train images per class', 'test images per class', 'width']);
    expect(d[1].values).toBe('A 40 · B 10');
  });

  it('refuses accuracy differences on other test images and compares times per image', () => {
    // 400 test images in 0.69 s against 100 in 0.22 s: -68% in total seconds, +27.5% per image.
    const a = rec('a', {});
    const b = rec('b', { train: 20, test: 10, images: 100 });
    const d = rowDiffs(row('b', 0.22), b, row('a', 0.69), a);
    expect(d.refused.testAcc).toBe('not comparable: test images per class 10 vs 40');
    expect(d.refused.trainAcc).toBe('not comparable: train images per class 20 vs 80');
    expect(d.refused.time).toBeUndefined();
    expect(d.timePerImage!.toFixed(1)).toBe(((0.22 / 100 / (0.69 / 400) - 1) * 100).toFixed(1));
    expect(secondsPerImage(row('a', 0.69), a)).toBeCloseTo(0.69 / 400, 12);
  });

  it('refuses a time difference across backends', () => {
    const d = rowDiffs(row('b', 0.1), rec('b', { backend: 'tensorflow' }), row('a', 0.69), rec('a', {}));
    expect(d.refused.time).toBe('not comparable: backend tensorflow vs cpu');
    expect(d.timePerImage).toBeNull();
    expect(d.refused.testAcc).toBeUndefined();
  });
});
