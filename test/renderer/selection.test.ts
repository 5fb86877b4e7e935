import { describe, expect, it } from 'vitest';
import { BLOCKS, RunConfigSchema, type CompareRow, type RunConfigOf, type SensitivityResult } from '../../src-main/contract';
import { frontierNames, paretoFrontier, paretoOption } from '../../src-renderer/src/charts/pareto';
import { sensitivityHeat, sensitivityOption } from '../../src-renderer/src/charts/sensitivity';
import { defaultDraft, toConfigInput, validateDraft } from '../../src-renderer/src/lib/runForm';
import { blockRanksText, budgetText, selectOnText, validationText } from '../../src-renderer/src/lib/selection';

const row = (id: string, paramsM: number, inferenceSeconds: number, testAcc: number, valAcc: number | null, protocol: CompareRow['protocol'] = 'ours'): CompareRow => ({
  id,
  name: `run ${id}`,
  protocol,
  trainAcc: 0.5,
  testAcc,
  valAcc,
  inferenceSeconds,
  paramsM,
  weightsMiB: paramsM * 4,
  blocksSwapped: 0,
  diff: { trainAcc: null, testAcc: null, inferenceSeconds: null, params: null, weightsMiB: null },
});

describe('Pareto frontier', () => {
  it('keeps the runs no other run beats on both cost and accuracy, cheapest first', () => {
    const pts = [
      { id: 'a', x: 1, y: 0.5 },
      { id: 'b', x: 2, y: 0.7 },
      { id: 'c', x: 3, y: 0.6 }, // dominated by b
      { id: 'd', x: 4, y: 0.8 },
      { id: 'e', x: 2, y: 0.65 }, // same cost as b, less accurate
    ];
    expect(paretoFrontier(pts)).toEqual(['a', 'b', 'd']);
    expect(paretoFrontier([])).toEqual([]);
  });

  it('draws validation and test accuracy with a frontier each, names the frontier runs, and leaves out sensitivity tables', () => {
    const rows = [row('1', 0.11, 0.7, 0.28, 0.3), row('2', 0.07, 0.5, 0.26, 0.31), row('3', 0.09, 0.6, 0.25, 0.2), row('s', 0.11, 0.7, 0.28, 0.3, 'sensitivity')];
    const o = paretoOption(rows, 'params', false) as unknown as { series: { name: string; type: string; data: { value: number[]; name: string }[] }[] };
    expect(o.series.map((s) => `${s.type}:${s.name}`)).toEqual(['scatter:validation accuracy', 'line:validation frontier', 'scatter:test accuracy', 'line:test frontier']);
    expect(o.series[0].data).toHaveLength(3);
    expect(o.series[1].data.map((d) => d.name)).toEqual(['run 2']);
    expect(o.series[3].data.map((d) => d.name)).toEqual(['run 2', 'run 1']);
    expect(o.series[3].data[1].value).toEqual([0.11, 28]);
    expect(frontierNames(rows, 'time')).toEqual({ valAcc: ['run 2'], testAcc: ['run 2', 'run 1'] });
    const noVal = paretoOption([row('1', 1, 1, 0.5, null)], 'time', false) as unknown as { series: { name: string }[] };
    expect(noVal.series.map((s) => s.name), 'old runs without a split: test only').toEqual(['test accuracy', 'test frontier']);
  });
});

const table: SensitivityResult = {
  baselineAcc: 0.5,
  evaluatedOn: 'validation',
  images: 10,
  ranks: [1, 2],
  skipped: [],
  costUnit: 'MACs',
  classical: { params: 1000, mib: 0.004, cost: 5000 },
  rows: BLOCKS.slice(0, 2).flatMap((b, i) => [1, 2].map((r) => ({ block: b.name, label: b.label, r, acc: 0.5 - 0.1 * (i + 1) / r, drop: (0.1 * (i + 1)) / r, kernelError: 0.5 / r, paramsSaved: 10, mibSaved: 0.00004, costSaved: 50 }))),
  seconds: 1,
};

describe('sensitivity chart and heat strip', () => {
  it('plots the drop in points per block, one line per r, gaps where a block was not measured', () => {
    const o = sensitivityOption(table, false) as unknown as { series: { name: string; data: (number | null)[] }[] };
    expect(o.series.map((s) => s.name)).toEqual(['r = 1', 'r = 2']);
    expect(o.series[0].data.slice(0, 3)).toEqual([10, 20, null]);
  });

  it('scales the heat to the largest drop at that r', () => {
    const h = sensitivityHeat(table, 1);
    expect(h.conv2_block2.level).toBe(1);
    expect(h.conv2_block1.level).toBeCloseTo(0.5, 12);
    expect(h.conv2_block1.text).toMatch(/conv2_1 at r = 1: 10.00 points lost on validation/);
  });
});

describe('run card text', () => {
  const base = { protocol: 'ours', data: { path: 'x' }, baselineRunId: 'b', epochs: 1, batchSize: 8 } as const;
  it('says "none (study protocol)" for a run stored before validation splits existed', () => {
    expect(validationText(RunConfigSchema.parse(base))).toMatch(/^none \(study protocol/);
    expect(validationText(RunConfigSchema.parse({ ...base, validation: { fraction: 0.1 } }), { valImages: 80 } as never)).toBe('10% of training images per class, seed 0, 80 images');
  });

  it('labels greedy choosing on test as the study protocol, and shows per-block r and the budget prediction', () => {
    const old = RunConfigSchema.parse({ protocol: 'greedy', data: base.data, baselineRunId: 'b', batchSize: 8 }) as RunConfigOf<'greedy'>;
    expect(selectOnText(old), 'stored before selectOn existed: it chose on test').toBe('test set (study protocol)');
    expect(selectOnText({ greedy: { ...old.greedy, selectOn: 'validation' } })).toBe('validation split');
    expect(blockRanksText({ blockRanks: { conv2_block1: 2 } })).toBe('conv2_1: 2');
    const withPlan = RunConfigSchema.parse({ ...base, budget: { sensitivityRunId: 's', value: 70, plan: { ranks: { conv2_block1: 1 }, predictedDrop: 0.02, cost: 1, classicalCost: 2, target: 1.4, baselineAcc: 0.5, evaluatedOn: 'validation' } } }) as RunConfigOf<'ours'>;
    expect(budgetText(withPlan, { budget: { predictedDrop: 0.02, zeroShotDrop: 0.03, finalDrop: 0.01 } } as never)).toBe(
      '70% of the classical parameters: 1 blocks (conv2_1:1); predicted validation drop 2.00 pts; measured after SVD + BN 3.00 pts, after distillation 1.00 pts',
    );
    const onTime = RunConfigSchema.parse({ ...base, budget: { sensitivityRunId: 's', kind: 'ms', value: 90, plan: { ranks: { conv4_block1: 2 }, predictedDrop: 0.01, cost: 2.25, classicalCost: 2.5, target: 2.25, baselineAcc: 0.5, evaluatedOn: 'validation' } } }) as RunConfigOf<'ours'>;
    expect(budgetText(onTime)).toBe('90% of the classical ms/image (ONNX Runtime): 1 blocks (conv4_1:2); predicted validation drop 1.00 pts; predicted 2.2500 of the classical 2.5000 ms/image');
  });
});

describe('launcher draft', () => {
  it('sends per-block r for swapped blocks only, the split only without a baseline, and a sensitivity run with no epochs', () => {
    const d = defaultDraft({ dataPath: '/d' });
    d.protocol = 'manual';
    d.model.swapped = ['conv2_block1'];
    d.model.blockRanks = { conv2_block1: 2, conv3_block1: 4 };
    const input = toConfigInput(d);
    expect((input.model as { blockRanks?: unknown }).blockRanks).toEqual({ conv2_block1: 2 });
    expect(input.validation).toEqual({ fraction: 0.1, seed: 0 });
    d.protocol = 'sensitivity';
    d.baselineRunId = 'b';
    const s = validateDraft(d);
    expect(s.errors).toEqual({});
    expect(s.config && 'epochs' in s.config, 'a sensitivity run does not train').toBe(false);
    expect(s.config?.validation, 'inherited from the baseline by the host').toBeUndefined();
    d.protocol = 'ours';
    d.budget.enabled = true;
    expect(validateDraft(d).errors['budget.sensitivityRunId']).toMatch(/pick a finished sensitivity run/);
  });
});
