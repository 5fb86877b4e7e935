/**
 * Choosing swaps without the test set: the exact budget knapsack against brute force, the
 * validation split, per-block depth multipliers against TF.js's own parameter counts, MACs against
 * a count over the built model's layers, and the sensitivity analysis on a tiny model (real engine).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS, ModelConfigSchema, type SensitivityResult } from '../src-main/contract';
import { installCpuKernels } from '../src-main/engine/cpu-kernels';
import { loadCifar10, toTensors } from '../src-main/engine/data';
import { heldOutCount, stratifiedSplit, subset } from '../src-main/engine/data/split';
import { inferConfig } from '../src-main/engine/modelio';
import { inspectModel } from '../src-main/engine/params';
import { buildResNet50, buildResNet50Tail, prefixModel } from '../src-main/engine/resnet';
import { BudgetError, planBudget, reachableRange } from '../src-main/engine/select/budget';
import { modelMacs } from '../src-main/engine/select/cost';
import { chooseSwaps, chooseSwapsBruteForce, type KnapsackItem } from '../src-main/engine/select/knapsack';
import { msSaved, sensitivityAnalysis } from '../src-main/engine/select/sensitivity';
import { copyWeightsByName } from '../src-main/engine/swap';
import { rng } from '../src-main/engine/train';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-select-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
  installCpuKernels();
});

function randomItems(seed: number, blocks: number, ranks: number): KnapsackItem[] {
  const r = rng(seed);
  return Array.from({ length: blocks }, (_, i) => ({
    block: `b${i}`,
    options: Array.from({ length: ranks }, (_, k) => ({ r: k + 1, saved: Math.round(r() * 100) - 10, drop: Math.round((r() - 0.1) * 1000) / 1000 })),
  }));
}

describe('budget knapsack', () => {
  it('finds the least predicted loss that reaches the savings, as brute force does (200 random small instances)', () => {
    let feasible = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const items = randomItems(seed, 2 + (seed % 5), 1 + (seed % 3));
      const total = items.reduce((s, it) => s + Math.max(0, ...it.options.map((o) => o.saved)), 0);
      const need = Math.round(rng(seed * 7)() * total * 1.1);
      const dp = chooseSwaps(items, need);
      const bf = chooseSwapsBruteForce(items, need);
      expect(dp === null, `seed ${seed}: both agree on feasibility`).toBe(bf === null);
      if (!dp || !bf) continue;
      feasible++;
      expect(dp.drop, `seed ${seed}: same least loss`).toBeCloseTo(bf.drop, 12);
      expect(dp.saved, `seed ${seed}: the choice meets the need`).toBeGreaterThanOrEqual(need);
      const recount = Object.entries(dp.ranks).reduce((s, [b, r]) => s + items.find((it) => it.block === b)!.options.find((o) => o.r === r)!.saved, 0);
      expect(recount, `seed ${seed}: the reported savings are the chosen options'`).toBe(dp.saved);
    }
    expect(feasible, 'most instances are feasible, so the comparison means something').toBeGreaterThan(100);
  });

  it('never picks an option that saves nothing, and answers null when the need exceeds every saving', () => {
    const items: KnapsackItem[] = [{ block: 'a', options: [{ r: 1, saved: 10, drop: 0.1 }, { r: 9, saved: -5, drop: -1 }] }];
    expect(chooseSwaps(items, 5)?.ranks).toEqual({ a: 1 });
    expect(chooseSwaps(items, 11)).toBeNull();
    expect(chooseSwaps(items, 0)).toEqual({ ranks: {}, saved: 0, drop: 0 });
  });

  it('solves 16 blocks x 3 ranks quickly (the real size)', () => {
    const items = randomItems(99, 16, 3).map((it) => ({ ...it, options: it.options.map((o) => ({ ...o, saved: Math.abs(o.saved) + 1 })) }));
    const total = items.reduce((s, it) => s + Math.max(...it.options.map((o) => o.saved)), 0);
    const t0 = performance.now();
    const dp = chooseSwaps(items, total * 0.6);
    expect(dp).not.toBeNull();
    expect(performance.now() - t0, 'well under a second').toBeLessThan(2000);
  });
});

describe('validation split', () => {
  const labels = Uint8Array.from({ length: 200 }, (_, i) => i % 10 === 9 && i > 100 ? 9 : i % 7);

  it('takes the fraction of every class (at least one), is seeded and disjoint from the training part', () => {
    const a = stratifiedSplit(labels, 0.1, 3);
    const b = stratifiedSplit(labels, 0.1, 3);
    const c = stratifiedSplit(labels, 0.1, 4);
    expect(Array.from(a.val)).toEqual(Array.from(b.val));
    expect(Array.from(a.val), 'another seed, other images').not.toEqual(Array.from(c.val));
    const val = new Set(a.val);
    expect(Array.from(a.train).some((i) => val.has(i)), 'disjoint').toBe(false);
    expect(a.train.length + a.val.length, 'together, every image once').toBe(labels.length);
    const counts = new Map<number, number>();
    labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
    for (const [cls, n] of counts) {
      const held = Array.from(a.val).filter((i) => labels[i] === cls).length;
      expect(held, `class ${cls}: round(${n} x 0.1), at least 1`).toBe(heldOutCount(n, 0.1));
    }
    expect(heldOutCount(4, 0.1)).toBe(1);
    expect(heldOutCount(1, 0.5), 'a class of one image stays in training').toBe(0);
    expect(stratifiedSplit(labels, 0, 1).val.length, 'fraction 0: no split').toBe(0);
  });

  it('subset copies the chosen images and labels', () => {
    const split = { images: Uint8Array.from({ length: 4 * 3 }, (_, i) => i), labels: Uint8Array.from([0, 1, 2, 3]), count: 4 };
    const s = subset(split, [3, 1]);
    expect(Array.from(s.labels)).toEqual([3, 1]);
    expect(Array.from(s.images)).toEqual([9, 10, 11, 3, 4, 5]);
  });
});

describe('per-block depth multipliers', () => {
  const cfg = { widthDivisor: 16, swapped: ['conv2_1', 'conv3_2', 'conv4_3', 'conv5_1'], swap: { depthMultiplier: 1 }, blockRanks: { conv3_2: 2, conv4_3: 4, conv5_1: 9 } };

  it("inspectModel counts what TF.js counts, block by block, and the model reads back its ranks", () => {
    const model = buildResNet50(cfg, 1);
    const counted = inspectModel(cfg);
    expect(counted.totalParams).toBe(model.countParams());
    for (const [block, r] of [['conv2_block1', 1], ['conv3_block2', 2], ['conv4_block3', 4], ['conv5_block1', 9]] as const) {
      const dw = model.getLayer(`${block}_2_dwconv`);
      expect((dw.getConfig() as { depthMultiplier: number }).depthMultiplier, block).toBe(r);
      const pw = model.getLayer(`${block}_2_pwconv`);
      const b = counted.blocks.find((x) => x.name === block)!;
      expect(b.convParams, `${block}: depthwise + 1x1`).toBe(dw.countParams() + pw.countParams());
      const f = b.filters;
      expect(b.convParams, `${block}: 9 M r + M r N + N`).toBe(9 * f * r + f * r * f + f);
    }
    const back = inferConfig(model);
    expect(back.blockRanks).toEqual({ conv3_block2: 2, conv4_block3: 4, conv5_block1: 9 });
    model.dispose();
  });

  it('MACs equal a count over the built model: H W k^2 Cin Cout per conv, H W k^2 C r per depthwise, in x out per dense', () => {
    const model = buildResNet50(cfg, 1);
    let macs = 0;
    for (const l of model.layers) {
      const out = l.outputShape as number[];
      const kernel = l.getWeights()[0]?.shape ?? [];
      const size = kernel.reduce((a, b) => a * b, 1);
      if (l.getClassName() === 'Conv2D' || l.getClassName() === 'DepthwiseConv2D') macs += out[1] * out[2] * size; // kernel [k, k, Cin, Cout or r]
      if (l.getClassName() === 'Dense') macs += size; // kernel [in, out]
    }
    expect(modelMacs(cfg)).toBe(macs);
    model.dispose();
  });
});

describe('sensitivity analysis on a tiny model (real engine)', () => {
  let table: SensitivityResult;
  const progress: [number, number][] = [];
  let cancelled: SensitivityResult | null | undefined;

  beforeAll(async () => {
    const zip = makeTinyCifarZip(tmp, { perClassTrain: 4, perClassTest: 2 });
    const c = await loadCifar10(zip);
    const split = stratifiedSplit(c.train.labels, 0.25, 0);
    const config = ModelConfigSchema.parse({ widthDivisor: 32, bnMomentum: 0.5 });
    const base = { model: buildResNet50(config, 2), config };
    const train = toTensors(subset(c.train, split.train), c.classes);
    const val = toTensors(subset(c.train, split.val), c.classes);
    const opts = { ranks: [1, 2, 4], bnRecalibrationBatches: 1, batchSize: 10, evalBatch: 64, seed: 1, evaluatedOn: 'validation' as const };
    table = (await sensitivityAnalysis(base, { train, eval: val }, { ...opts, onProgress: (done, total) => progress.push([done, total]) }))!;
    const stop = new AbortController();
    cancelled = await sensitivityAnalysis(base, { train, eval: val }, { ...opts, signal: stop.signal, onProgress: (done) => done === 2 && stop.abort() });
  }, 120_000);

  it('reports progress after every candidate and stops when cancelled', () => {
    expect(progress[0]).toEqual([0, table.rows.length]);
    expect(progress.map(([d]) => d)).toEqual(Array.from({ length: table.rows.length + 1 }, (_, i) => i));
    expect(cancelled, 'cancelled after the second candidate: no table').toBeNull();
  });

  it('measures every block at every r that fits (r <= min(9, N)) and leaves out the rest with the reason', () => {
    const fit = BLOCKS.flatMap((b) => [1, 2, 4].filter((r) => r <= Math.min(9, Math.round(b.baseWidth / 32))).map((r) => `${b.label}:${r}`));
    expect(table.rows.map((r) => `${r.label}:${r.r}`)).toEqual(fit);
    expect(table.skipped.map((s) => `${s.block}:${s.r}`)).toEqual(['conv2_1:4', 'conv2_2:4', 'conv2_3:4']);
    expect(table.images).toBe(10);
  });

  it('records drop = baseline - accuracy, falling kernel error with r, and savings from the parameter count', () => {
    for (const row of table.rows) {
      expect(row.drop).toBeCloseTo(table.baselineAcc - row.acc, 12);
      const swapped = inspectModel({ widthDivisor: 32, swapped: [row.block], blockRanks: { [row.block]: row.r } }).totalParams;
      expect(row.paramsSaved, `${row.label} r=${row.r}`).toBe(table.classical.params - swapped);
      expect(row.costSaved).toBe(table.classical.cost - modelMacs({ widthDivisor: 32, swapped: [row.block], blockRanks: { [row.block]: row.r } }));
    }
    for (const b of BLOCKS) {
      const errs = table.rows.filter((r) => r.block === b.name).map((r) => r.kernelError);
      for (let i = 1; i < errs.length; i++) expect(errs[i], `${b.label}: error falls as r grows`).toBeLessThanOrEqual(errs[i - 1] + 1e-6);
    }
    const full = table.rows.find((r) => r.label === 'conv2_1' && r.r === 2)!;
    expect(full.kernelError, 'r = N = 2 reproduces the kernel').toBeLessThan(1e-5);
  });

  it('the tail from a block, fed the prefix\'s activations, computes what the whole network does', () => {
    const config = ModelConfigSchema.parse({ widthDivisor: 32, swapped: ['conv4_block2'], blockRanks: { conv4_block2: 2 } });
    const model = buildResNet50(config, 6);
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    for (const block of ['conv2_block1', 'conv4_block2', 'conv5_block3']) {
      const prefix = prefixModel(model, block);
      const a = prefix.predict(x) as tf.Tensor4D;
      const tail = buildResNet50Tail(config, block, a.shape.slice(1), 9);
      copyWeightsByName(model, tail);
      const diff = tf.max(tf.abs(tf.sub(tail.predict(a) as tf.Tensor, model.predict(x) as tf.Tensor))).dataSync()[0];
      expect(diff, `${block}: same outputs`).toBeLessThan(1e-6);
      tail.dispose();
    }
    model.dispose();
  });

  it('plans a budget from the table, and refuses impossible ones naming the reachable range', () => {
    const range = reachableRange(table, 'params');
    const plan = planBudget(table, { sensitivityRunId: 'x', kind: 'params', unit: 'absolute', value: Math.round((range.min + range.max) / 2) });
    expect(plan.cost).toBeLessThanOrEqual(plan.target);
    const predicted = Object.entries(plan.ranks).reduce((s, [b, r]) => s + table.rows.find((x) => x.block === b && x.r === r)!.drop, 0);
    expect(plan.predictedDrop).toBeCloseTo(predicted, 12);
    expect(() => planBudget(table, { sensitivityRunId: 'x', kind: 'params', unit: 'percent', value: 101 })).toThrow(/above the classical.*reachable/);
    const tooSmall = () => planBudget(table, { sensitivityRunId: 'x', kind: 'macs', unit: 'absolute', value: reachableRange(table, 'macs').min - 1 });
    expect(tooSmall).toThrow(BudgetError);
    expect(tooSmall).toThrow(/cannot be met even with every swap; reachable with this sensitivity table: .* MACs/);
  });

  it('plans an inference-time budget from a latency table: predicted ms = classical - the chosen blocks\' savings', () => {
    // A latency table as the sensitivity run measures it (ONNX Runtime ms/image); here stage-shaped numbers
    // so the plan can be checked against the definition: dense minus separable per block and r.
    const latency = {
      provider: 'cpu',
      threads: 1,
      ortVersion: 'test',
      batch: 64,
      classicalMs: 5,
      blocks: BLOCKS.map((b) => ({ block: b.name, denseMs: 0.1 * (6 - b.stage), separableMs: { '1': 0.02, '2': 0.04, '4': 0.5 } })),
    };
    const withTime: SensitivityResult = {
      ...table,
      latency,
      classical: { ...table.classical, ms: latency.classicalMs },
      rows: table.rows.map((row) => ({ ...row, msSaved: msSaved(latency, row.block, row.r) })),
    };
    const row = withTime.rows.find((x) => x.block === 'conv4_block1' && x.r === 4)!;
    expect(row.msSaved, 'r = 4 slower than dense: a negative saving').toBeCloseTo(0.2 - 0.5, 12);
    const plan = planBudget(withTime, { sensitivityRunId: 'x', kind: 'ms', unit: 'percent', value: 80 });
    expect(plan.classicalCost).toBe(5);
    expect(plan.target).toBeCloseTo(4, 12);
    const saved = Object.entries(plan.ranks).reduce((s, [b, r]) => s + msSaved(latency, b, r)!, 0);
    expect(plan.cost).toBeCloseTo(5 - saved, 12);
    expect(plan.cost).toBeLessThanOrEqual(plan.target + 1e-12);
    expect(Object.values(plan.ranks), 'never a swap that is slower than the dense conv').not.toContain(4);
    expect(() => planBudget(withTime, { sensitivityRunId: 'x', kind: 'ms', unit: 'percent', value: 1 })).toThrow(/cannot be met even with every swap; reachable with this sensitivity table: [\d.]+ ms\/image/);
    const none = { ...table, latency: null, latencyNote: 'ONNX Runtime could not time the model: no binding' };
    const refusal = (() => {
      try {
        planBudget(none, { sensitivityRunId: 'x', kind: 'ms', unit: 'percent', value: 80 });
      } catch (e) {
        return e as BudgetError;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(BudgetError);
    expect(refusal!.field).toBe('budget.kind');
    expect(refusal!.message).toMatch(/no ONNX Runtime latency table \(ONNX Runtime could not time the model: no binding\).*budget parameters, MiB or MACs/);
  });
});
