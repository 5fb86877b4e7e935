import { describe, expect, it } from 'vitest';
import type { CompareRow, EpochMetrics } from '../../src-main/contract';
import { accuracyVsParamsOption, legendRows, testAccOverlayOption } from '../../src-renderer/src/charts/compareCharts';
import { uniqueNames } from '../../src-renderer/src/charts/theme';
import { accuracyFloor, curvesOption, phaseStarts } from '../../src-renderer/src/charts/trainingCurves';

const ep = (phase: string, epoch: number, trainAcc: number, testAcc: number | null): EpochMetrics => ({
  phase,
  epoch,
  loss: 1 / epoch,
  trainAcc,
  testAcc,
  testLoss: testAcc === null ? null : 2 / epoch,
  seconds: 1,
  samplesPerSec: 100,
});

type Series = { name: string; type: string; data: unknown[][]; symbol?: string; markLine?: { data: unknown[] } };
const seriesOf = (o: unknown) => (o as { series: Series[] }).series;

describe('training curves', () => {
  const epochs = [ep('train', 1, 0.5, 0.4), ep('train', 2, 0.6, null), ep('fine-tune', 1, 0.7, 0.65)];

  it('plots train and test accuracy in percent against a running epoch index', () => {
    const s = seriesOf(curvesOption(epochs, 'accuracy', false));
    expect(s.map((x) => x.name)).toEqual(['train acc', 'test acc']);
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

  it('plots train and test loss', () => {
    const s = seriesOf(curvesOption(epochs, 'loss'));
    expect(s.map((x) => x.name)).toEqual(['train loss', 'test loss']);
    expect(s[0].data[1]).toEqual([2, 0.5]);
  });

  it('marks where the phase changes', () => {
    expect(phaseStarts(epochs)).toEqual([{ index: 3, phase: 'fine-tune' }]);
    expect(seriesOf(curvesOption(epochs, 'loss'))[0].markLine?.data).toEqual([{ xAxis: 2.5 }]);
  });

  it('starts the accuracy axis at the decade below the lowest value', () => {
    expect(accuracyFloor({ min: 63.2 })).toBe(60);
    expect(accuracyFloor({ min: 4 })).toBe(0);
    expect(accuracyFloor({ min: Infinity })).toBe(0);
  });

  it('is a valid empty chart with no epochs', () => {
    expect(seriesOf(curvesOption([], 'accuracy'))[0].data).toEqual([]);
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

describe('comparison charts', () => {
  it('puts one point per run at (params M, test acc %), the reference as a diamond', () => {
    const s = seriesOf(
      accuracyVsParamsOption([row('a', 'base', 26.2158, 0.78123), row('b', 'swap', 16.19, 0.7724)], 'a'),
    );
    expect(s.map((x) => x.data[0])).toEqual([
      [26.22, 78.12],
      [16.19, 77.24],
    ]);
    expect(s.map((x) => x.symbol)).toEqual(['diamond', 'circle']);
  });

  it('leaves out runs without final numbers', () => {
    expect(seriesOf(accuracyVsParamsOption([row('a', 'x', null, 0.5), row('b', 'y', 1, null)], 'a'))).toHaveLength(0);
  });

  it("overlays each run's test accuracy, skipping runs that never evaluated", () => {
    const curves = { a: [ep('t', 1, 0.5, 0.4), ep('t', 2, 0.6, 0.5)], b: [ep('t', 1, 0.5, null)] };
    const s = seriesOf(
      testAccOverlayOption(curves, [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
      ]),
    );
    expect(s.map((x) => x.name)).toEqual(['A']);
    expect(s[0].data).toEqual([
      [1, 40],
      [2, 50],
    ]);
  });

  it('keeps series names unique and leaves room for the legend', () => {
    const names = uniqueNames([
      { id: 'abcdef12', name: 'run' },
      { id: 'zzzzzz34', name: 'run' },
      { id: 'q', name: 'other' },
    ]);
    expect([...names.values()]).toEqual(['run · abcdef', 'run · zzzzzz', 'other']);
    expect(legendRows(1)).toBe(1);
    expect(legendRows(5)).toBe(3);
  });
});

describe('tooltips', () => {
  it('escape run names and format values, with the phase and epoch as header', () => {
    const o = curvesOption([ep('warm-up', 1, 0.5, 0.4), ep('fine-tune', 1, 0.6, 0.5)], 'accuracy') as unknown as {
      tooltip: { formatter: (p: unknown) => string };
    };
    const html = o.tooltip.formatter([
      { marker: '<i></i>', seriesName: '<img src=x onerror=alert(1)>', value: [2, 60.123], axisValue: 2, dataIndex: 1 },
      { marker: '', seriesName: 'test acc', value: [2, null], axisValue: 2, dataIndex: 1 },
    ]);
    expect(html).toBe(
      'fine-tune · epoch 1<br/><i></i>&lt;img src=x onerror=alert(1)&gt;&nbsp;&nbsp;<b>60.12%</b><br/>test acc&nbsp;&nbsp;<b>—</b>',
    );
  });

  it('escape the run name in the scatter tooltip', () => {
    const s = (
      accuracyVsParamsOption([row('a', '<b>x</b>', 1, 0.5)], 'a') as unknown as {
        series: { tooltip: { formatter: () => string } }[];
      }
    ).series;
    expect(s[0].tooltip.formatter()).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});
