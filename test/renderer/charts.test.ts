import { describe, expect, it } from 'vitest';
import type { CompareRow, EpochMetrics, GreedyRecord, RunRecord } from '../../src-main/contract';
import {
  accuracyTimelines,
  accuracyVsParamsOption,
  legendRows,
  testAccOverlayOption,
} from '../../src-renderer/src/charts/compareCharts';
import { epochAxisName, epochPositions, phaseSegments } from '../../src-renderer/src/charts/phases';
import { uniqueNames } from '../../src-renderer/src/charts/theme';
import { accuracyBounds } from '../../src-renderer/src/charts/pareto';
import { LINE_NAMES, accuracyFloor, curvesOption } from '../../src-renderer/src/charts/trainingCurves';
import { runLabels } from '../../src-renderer/src/lib/numbers';

const ep = (
  phase: string,
  epoch: number,
  trainAcc: number | null,
  testAcc: number | null,
  loss = 1 / Math.max(1, epoch),
): EpochMetrics => ({
  phase,
  epoch,
  loss,
  trainAcc,
  testAcc,
  testLoss: testAcc === null ? null : 2 / Math.max(1, epoch),
  seconds: 1,
  samplesPerSec: 100,
});

type Series = {
  name: string;
  type: string;
  data: unknown[][];
  symbol?: string;
  yAxisIndex?: number;
  markLine?: { data: { xAxis: number; name: string }[]; label: { show: boolean } };
};
const seriesOf = (o: unknown) => (o as { series: Series[] }).series;
type Axis = { name: string; min: number; max: number; show?: boolean; axisLabel: { formatter: (v: number) => string } };
const xAxisOf = (o: unknown) => (o as { xAxis: Axis }).xAxis;

/** Ours as the engine records it: SVD + BN measured at epoch 0, then distillation epochs 1..4. */
const ours = [
  ep('svd+bn', 0, null, 0.265, 1.98),
  ep('distill', 1, 0.2, 0.25, 0.26),
  ep('distill', 2, 0.22, 0.26, 0.25),
  ep('distill', 3, 0.24, 0.27, 0.24),
  ep('distill', 4, 0.25, 0.27, 0.24),
];

describe('phases on the epoch axis', () => {
  it('puts a measurement-only phase before the first trained epoch, not at epoch 1', () => {
    expect(epochPositions(ours)).toEqual([0, 1, 2, 3, 4]);
    expect(epochPositions(ours, 12)).toEqual([12, 13, 14, 15, 16]);
    expect(phaseSegments(ours).map((s) => [s.name, s.from, s.to])).toEqual([
      ['SVD + BN', 0, 0],
      ['distillation', 0, 4],
    ]);
    expect(epochAxisName(phaseSegments(ours))).toBe('distillation epoch');
  });

  it('names an axis of several trained phases as such', () => {
    const two = [ep('train', 1, 0.5, 0.4), ep('finetune', 1, 0.6, 0.5)];
    expect(epochAxisName(phaseSegments(two))).toBe('epoch (all phases in order)');
  });
});

describe('training curves', () => {
  const epochs = [ep('train', 1, 0.5, 0.4), ep('train', 2, 0.6, null), ep('finetune', 1, 0.7, 0.65)];

  it('plots train and test accuracy in percent against training epochs', () => {
    const s = seriesOf(curvesOption(epochs, 'accuracy', false));
    expect(s.map((x) => x.name)).toEqual([LINE_NAMES.trainAcc, LINE_NAMES.testAcc]);
    expect(s[0].data).toEqual([
      [1, 50],
      [2, 60],
      [3, 70],
    ]);
    expect(s[1].data).toEqual([
      [1, 40],
      [2, null],
      [3, 65],
    ]);
  });

  it('plots training and test cross-entropy on one axis; no distillation line without distillation', () => {
    const s = seriesOf(curvesOption(epochs, 'loss'));
    expect(s.map((x) => x.name)).toEqual([LINE_NAMES.trainLoss, LINE_NAMES.testLoss]);
    expect(s[0].data[1]).toEqual([2, 0.5]);
    expect(s.every((x) => !x.yAxisIndex)).toBe(true);
  });

  it("draws ours' distillation objective on its own axis and the test cross-entropy from SVD + BN on", () => {
    const o = curvesOption(ours, 'loss', false);
    const s = seriesOf(o);
    expect(s.map((x) => x.name)).toEqual([LINE_NAMES.testLoss, LINE_NAMES.distill]);
    expect(s[0].data[0]).toEqual([0, 2]); // test CE measured after SVD + BN, at x = 0
    expect(s[1].yAxisIndex).toBe(1);
    expect(s[1].data.map((p) => p[1])).toEqual([null, 0.26, 0.25, 0.24, 0.24]);
    const x = xAxisOf(o);
    expect([x.name, x.min, x.max]).toEqual(['distillation epoch', 0, 4]);
    expect(x.axisLabel.formatter(0)).toBe('SVD + BN');
    expect(x.axisLabel.formatter(3)).toBe('3');
    expect((o as unknown as { yAxis: Axis[] }).yAxis[1].show).toBe(true);
  });

  it('marks where the phase changes, named when few', () => {
    const marks = seriesOf(curvesOption(epochs, 'loss'))[0].markLine!;
    expect(marks.data).toEqual([{ xAxis: 2, name: 'fine-tuning' }]);
    expect(marks.label.show).toBe(true);
  });

  it("puts a greedy run's decisions where each fine-tuning step ends, and leaves out lines with no data", () => {
    const greedy = [ep('conv2_1 (pass 1)', 1, 0.3, null), ep('conv2_2 (pass 1)', 1, 0.31, null)];
    const decisions: GreedyRecord[] = [
      { block: 'conv2_block1', label: 'conv2_1', pass: 1, testAcc: 0.25, kept: true },
      { block: 'conv2_block2', label: 'conv2_2', pass: 1, testAcc: 0.2775, kept: true },
    ];
    const s = seriesOf(curvesOption(greedy, 'accuracy', false, decisions));
    expect(s.map((x) => x.name)).toEqual([LINE_NAMES.trainAcc, LINE_NAMES.decisions]);
    expect(s[1].data).toEqual([
      [1, 25],
      [2, 27.75],
    ]);
    expect(seriesOf(curvesOption(greedy, 'loss', false)).map((x) => x.name)).toEqual([LINE_NAMES.trainLoss]);
  });

  it('starts the accuracy axis at the decade below the lowest value', () => {
    expect(accuracyFloor({ min: 63.2 })).toBe(60);
    expect(accuracyFloor({ min: 4 })).toBe(0);
    expect(accuracyFloor({ min: Infinity })).toBe(0);
  });

  it('is a valid empty chart with no epochs', () => {
    expect(seriesOf(curvesOption([], 'accuracy'))).toEqual([]);
    expect(xAxisOf(curvesOption([], 'accuracy')).max).toBeGreaterThan(xAxisOf(curvesOption([], 'accuracy')).min);
  });
});

const row = (id: string, name: string, paramsM: number | null, testAcc: number | null): CompareRow => ({
  id,
  name,
  protocol: 'baseline',
  trainAcc: 0.9,
  testAcc,
  inferenceSeconds: 1,
  paramsM,
  weightsMiB: 1,
  blocksSwapped: 0,
  diff: { trainAcc: 0, testAcc: 0, inferenceSeconds: 0, params: 0, weightsMiB: 0 },
});

const record = (
  id: string,
  protocol: RunRecord['protocol'],
  extra: Partial<RunRecord> = {},
  baselineRunId?: string,
): RunRecord =>
  ({
    id,
    name: id,
    protocol,
    config: { baselineRunId, greedy: { fineTuneEpochs: 1 } },
    final: null,
    epochs: [],
    greedy: [],
    ...extra,
  }) as unknown as RunRecord;

describe('comparison charts', () => {
  it('puts one point per run at (params in a unit that separates them, test acc %), labelled by letter', () => {
    const labels = runLabels(['a', 'b']);
    const o = accuracyVsParamsOption(
      [row('a', 'greedy', 0.07587, 0.2625), row('b', 'ours', 0.073966, 0.27)],
      'a',
      labels,
    );
    const s = seriesOf(o);
    expect(s.map((x) => x.data[0])).toEqual([
      [75.87, 26.25],
      [73.966, 27],
    ]);
    expect(s.map((x) => x.name)).toEqual(['A', 'B']);
    expect(s.map((x) => x.symbol)).toEqual(['diamond', 'circle']);
    expect((o as unknown as { xAxis: { name: string } }).xAxis.name).toBe('parameters, thousand');
    expect((o as unknown as { grid: { containLabel: boolean } }).grid.containLabel).toBe(true);
  });

  it('leaves out runs without final numbers', () => {
    expect(
      seriesOf(accuracyVsParamsOption([row('a', 'x', null, 0.5), row('b', 'y', 1, null)], 'a', runLabels(['a', 'b']))),
    ).toHaveLength(0);
  });

  it("continues a run from its baseline's last epoch and draws greedy decisions per step", () => {
    const base = record('base', 'baseline', { final: { epochsTrained: 12 } as RunRecord['final'] });
    const control = record('ctl', 'control', {}, 'base');
    const greedy = record(
      'gr',
      'greedy',
      {
        greedy: [
          { block: 'conv2_block1', label: 'conv2_1', pass: 1, testAcc: 0.25, kept: true },
          { block: 'conv2_block2', label: 'conv2_2', pass: 1, testAcc: 0.3, kept: false },
        ],
      },
      'base',
    );
    const curves = {
      base: [ep('train', 1, 0.3, 0.2), ep('train', 2, 0.3, 0.25)],
      ctl: [ep('train', 1, 0.5, 0.3)],
      gr: [ep('conv2_1 (pass 1)', 1, 0.3, null), ep('conv2_2 (pass 1)', 1, 0.3, null)],
      ours: [ep('svd+bn', 0, null, 0.26), ep('distill', 1, 0.2, 0.27)],
    };
    const recs = { base, ctl: control, gr: greedy, ours: record('ours', 'ours', {}, 'gone') };
    const runs = ['base', 'ctl', 'gr', 'ours'].map((id) => ({ id, name: id }));
    const { lines, notes } = accuracyTimelines(curves, runs, recs, runLabels(runs.map((r) => r.id)));
    expect(lines.map((l) => [l.label, l.points])).toEqual([
      [
        'A',
        [
          [1, 20],
          [2, 25],
        ],
      ],
      ['B', [[13, 30]]],
      [
        'C (after each swap)',
        [
          [13, 25],
          [14, 30],
        ],
      ],
      [
        'D',
        [
          [0, 26],
          [1, 27],
        ],
      ],
    ]);
    expect(notes).toEqual(['D: its baseline run is not available, so its epochs start at 1']);
    const s = seriesOf(testAccOverlayOption(lines));
    expect(s.map((x) => x.name)).toEqual(['A', 'B', 'C (after each swap)', 'D']);
    expect(s[2].symbol).toBe('triangle');
  });

  it('says which runs it could not draw', () => {
    const { lines, notes } = accuracyTimelines(
      { a: [ep('train', 1, 0.5, null)] },
      [{ id: 'a', name: 'a' }],
      {},
      runLabels(['a']),
    );
    expect(lines).toEqual([]);
    expect(notes).toEqual(['A: no test accuracy recorded per epoch']);
  });

  it('keeps series names unique and leaves room for the legend', () => {
    const names = uniqueNames([
      { id: 'abcdef12', name: 'run' },
      { id: 'zzzzzz34', name: 'run' },
      { id: 'q', name: 'other' },
    ]);
    expect([...names.values()]).toEqual(['run · abcdef', 'run · zzzzzz', 'other']);
    expect(legendRows(1)).toBe(1);
    expect(legendRows(7)).toBe(3);
  });
});

describe('tooltips', () => {
  it('escape names and format values, with the phase and epoch as header', () => {
    const o = curvesOption([ep('train', 1, 0.5, 0.4), ep('finetune', 1, 0.6, 0.5)], 'accuracy') as unknown as {
      tooltip: { formatter: (p: unknown) => string };
    };
    const html = o.tooltip.formatter([
      { marker: '<i></i>', seriesName: '<img src=x onerror=alert(1)>', value: [2, 60.123], axisValue: 2, dataIndex: 1 },
      { marker: '', seriesName: 'test accuracy', value: [2, null], axisValue: 2, dataIndex: 1 },
    ]);
    expect(html).toBe(
      'fine-tuning · epoch 1<br/><i></i>&lt;img src=x onerror=alert(1)&gt;&nbsp;&nbsp;<b>60.12%</b><br/>test accuracy&nbsp;&nbsp;<b>—</b>',
    );
  });

  it('say "before training" for the SVD + BN measurement', () => {
    const o = curvesOption(ours, 'loss') as unknown as { tooltip: { formatter: (p: unknown) => string } };
    expect(o.tooltip.formatter([{ seriesName: 'x', value: [0, 1], axisValue: 0, dataIndex: 0 }])).toMatch(
      /^SVD \+ BN \(before training\)/,
    );
  });

  it('escape the run name in the scatter tooltip', () => {
    const s = (
      accuracyVsParamsOption([row('a', '<b>x</b>', 1, 0.5)], 'a', runLabels(['a'])) as unknown as {
        series: { tooltip: { formatter: () => string } }[];
      }
    ).series;
    expect(s[0].tooltip.formatter()).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('scatter labels', () => {
  it('gives runs on the same spot one label, "A, C"', () => {
    const o = accuracyVsParamsOption(
      [row('a', 'base', 0.111138, 0.15), row('b', 'ours', 0.073966, 0.1), row('c', 'control', 0.111138, 0.15)],
      'a',
      runLabels(['a', 'b', 'c']),
    ) as unknown as { series: { label: { show: boolean; formatter: () => string } }[] };
    expect(o.series.map((s) => [s.label.show, s.label.formatter()])).toEqual([
      [true, 'A, C'],
      [true, 'B'],
      [false, 'A, C'],
    ]);
  });
});

describe('Pareto accuracy axis', () => {
  it('puts bounds and ticks on round multiples around the data, within 0..100 %', () => {
    expect(accuracyBounds([43.25, 51.8])).toEqual({ min: 40, max: 55, interval: 5 });
    expect(accuracyBounds([20, 80])).toEqual({ min: 0, max: 100, interval: 20 });
    expect(accuracyBounds([97, 99.5])).toEqual({ min: 95, max: 100, interval: 5 });
    expect(accuracyBounds([1])).toEqual({ min: 0, max: 5, interval: 5 });
    for (const ys of [[12.5, 47], [60, 61], [0, 100], [33, 71.2]]) {
      const b = accuracyBounds(ys);
      expect(b.min % b.interval, JSON.stringify(ys)).toBe(0);
      expect(b.max % b.interval === 0 || b.max === 100, JSON.stringify(ys)).toBe(true);
      expect(b.min).toBeLessThanOrEqual(Math.min(...ys));
      expect(b.max).toBeGreaterThanOrEqual(Math.max(...ys));
    }
  });
});
