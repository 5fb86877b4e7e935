/**
 * The inference-timing protocol: quartiles against their definition, the order rotating each
 * repeat (no model always first), at least `repeats` samples per model, warm-up that ends once two
 * consecutive medians agree and reports when they never do. Subjects are real timed functions.
 */
import { describe, expect, it, vi } from 'vitest';
import { agrees, quantile, rotate, summarise, timeAlternated } from '../src-main/engine/timing';

function busy(ms: number): () => Promise<void> {
  return async () => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
}

describe('statistics', () => {
  it('quantiles interpolate linearly between order statistics', () => {
    const s = [1, 2, 3, 4, 10];
    expect(quantile(s, 0.5)).toBe(3);
    expect(quantile(s, 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    const t = summarise([5, 1, 4, 2, 3]);
    expect(t).toMatchObject({ median: 3, min: 1, max: 5, q1: 2, q3: 4, repeats: 5 });
    expect(t.samples, 'samples kept in measurement order').toEqual([5, 1, 4, 2, 3]);
  });

  it('rotation gives every model the first slot in turn', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b'], 3)).toEqual(['b', 'a']);
  });

  it('agreement is relative to the later median', () => {
    expect(agrees(100, 104, 0.05)).toBe(true);
    expect(agrees(100, 110, 0.05)).toBe(false);
  });
});

describe('timeAlternated', () => {
  it('alternates the models, rotating who goes first, and keeps >= repeats samples each', async () => {
    const order: string[] = [];
    const subjects = ['a', 'b'].map((id) => ({ id, run: async () => void order.push(id) }));
    const t = await timeAlternated(subjects, { batch: 4, repeats: 5, warmupTolerance: 10, maxWarmupRounds: 3, minMeasureMs: 0 });
    expect(t.map((x) => x.msPerImage.repeats)).toEqual([5, 5]);
    const timed = order.slice(-10); // the 5 repeats, k = 1 run per measurement
    const firsts = [0, 2, 4, 6, 8].map((i) => timed[i]);
    expect(firsts).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(t[0].stable).toBe(true);
  });

  it('ms per image divides by the batch and the runs per measurement (on a clock that each run advances 4 ms)', async () => {
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const [t] = await timeAlternated([{ id: 'x', run: async () => void (clock += 4) }], { batch: 2, repeats: 5, warmupTolerance: 0.05, maxWarmupRounds: 4, minMeasureMs: 10 });
      expect(t.runsPerMeasurement, 'ceil(10 ms / 4 ms)').toBe(3);
      expect(t.msPerImage.median).toBe(2);
      expect(t.msPerImage.min).toBe(2);
      expect(t.stable).toBe(true);
      expect(t.warmupRounds).toBe(2);
    } finally {
      now.mockRestore();
    }
  });

  it('says when warm-up never settled', async () => {
    let ms = 1;
    const growing = { id: 'g', run: async () => busy((ms *= 1.5))() };
    const [t] = await timeAlternated([growing], { batch: 1, repeats: 5, warmupTolerance: 0.01, maxWarmupRounds: 2, minMeasureMs: 0 });
    expect(t.stable).toBe(false);
    expect(t.warmupRounds).toBe(2);
  });
});
