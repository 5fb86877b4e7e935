import { describe, expect, it } from 'vitest';
import { timingLines, timingMarkdown, type CompareRow, type InferenceTiming, type RuntimeTiming } from '../../src-main/contract';
import { checkSummary, defaultOnnxPath } from '../../src-renderer/src/lib/onnx';

describe('where the UI proposes to write an ONNX file', () => {
  it('is <dataDir>/exports/<run name>.onnx, with the data folder’s separator', () => {
    expect(defaultOnnxPath('/home/me/.dwswap/', { name: 'ours: 1/16', id: 'r1' })).toBe('/home/me/.dwswap/exports/ours- 1-16.onnx');
    expect(defaultOnnxPath('C:\\Users\\me\\dwswap', { name: '', id: 'r1' })).toBe('C:\\Users\\me\\dwswap\\exports\\r1.onnx');
  });

  it('says the check in words', () => {
    const s = checkSummary({ images: 8, maxAbsError: 1e-8, maxRelError: 1.44e-7, tolerance: 1e-4, passed: true, provider: 'cpu' });
    expect(s).toBe('max relative error 1.4e-7 against the engine (tolerance 0.0001), ONNX Runtime cpu, 8 images');
  });
});

function runtime(kind: 'onnxruntime' | 'engine', medians: Record<number, number>): RuntimeTiming {
  const batches = Object.entries(medians).map(([b, m]) => ({ batch: Number(b), warmupRounds: 2, stable: true, msPerImage: { median: m, min: m * 0.9, max: m * 1.2, q1: m, q3: m, repeats: 5, samples: [] } }));
  return { runtime: kind, version: '1.30.0', provider: 'cpu', threads: kind === 'onnxruntime' ? 1 : null, batches };
}

function row(id: string, ort: Record<number, number> | null): Pick<CompareRow, 'id' | 'name' | 'timing'> {
  const timing: InferenceTiming | null = ort && { measuredAt: '', machine: 'm', protocol: {} as InferenceTiming['protocol'], alternatedWith: [], onnxruntime: runtime('onnxruntime', ort), engine: null };
  return { id, name: id, timing };
}

describe('the timing table', () => {
  it('gives each run, runtime and batch its median, spread and speed-up against the reference', () => {
    const lines = timingLines([row('ref', { 1: 5, 64: 4.8 }), row('swapped', { 1: 5, 64: 3 }), row('untimed', null)], 'ref');
    expect(lines.map((l) => [l.id, l.batch])).toEqual([
      ['ref', 1],
      ['ref', 64],
      ['swapped', 1],
      ['swapped', 64],
    ]);
    expect(lines.map((l) => l.speedup).slice(0, 2)).toEqual([null, null]);
    expect(lines[2].speedup).toBeCloseTo(1, 12);
    expect(lines[3].speedup, 'reference median / this median').toBeCloseTo(4.8 / 3, 12);
    expect(lines[3]).toMatchObject({ runtime: 'ONNX Runtime 1.30.0 (cpu, 1 thread)', median: 3 });
    expect(lines[3].min).toBeCloseTo(2.7, 12);
    const md = timingMarkdown(lines, (s) => s);
    expect(md[5]).toBe('| swapped | ONNX Runtime 1.30.0 (cpu, 1 thread) | 64 | 3.000 | 2.700 – 3.600 | 1.60x |');
    expect(timingMarkdown([], (s) => s)).toEqual([]);
  });

  it('has no speed-up when the reference was not timed at that batch', () => {
    const lines = timingLines([row('ref', { 1: 5 }), row('b', { 64: 3 })], 'ref');
    expect(lines.find((l) => l.id === 'b')?.speedup).toBeNull();
  });
});
