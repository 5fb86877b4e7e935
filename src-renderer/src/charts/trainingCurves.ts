/**
 * Loss and accuracy curves of one run, from its EpochMetrics. The x axis counts epochs across
 * phases (a greedy run fine-tunes after each block, so phase epochs restart); the tooltip names
 * the phase and its own epoch number.
 */
import type { EpochMetrics } from '@contract';
import { axisTooltip, baseOption, epochAxis, percent, valueAxis, type ChartOption } from './theme';

export type CurveKind = 'loss' | 'accuracy';

type Point = [number, number | null];

function series(name: string, data: Point[], dashed = false) {
  return {
    type: 'line' as const,
    name,
    data,
    showSymbol: data.length < 40,
    symbolSize: 5,
    connectNulls: true,
    lineStyle: { width: 2, type: dashed ? ('dashed' as const) : ('solid' as const) },
  };
}

/** Indices of the epochs where the phase changes (for separators). */
export function phaseStarts(epochs: readonly EpochMetrics[]): { index: number; phase: string }[] {
  const out: { index: number; phase: string }[] = [];
  epochs.forEach((e, i) => {
    if (i > 0 && e.phase !== epochs[i - 1].phase) out.push({ index: i + 1, phase: e.phase });
  });
  return out;
}

/** The accuracy axis starts at the decade below the lowest value (0 when there is none). */
export function accuracyFloor(extent: { min: number }): number {
  return Number.isFinite(extent.min) ? Math.max(0, Math.floor(extent.min / 10) * 10) : 0;
}

export function curvesOption(epochs: readonly EpochMetrics[], kind: CurveKind, animation = true): ChartOption {
  const x = (i: number) => i + 1;
  const lines =
    kind === 'loss'
      ? [
          series(
            'train loss',
            epochs.map((e, i): Point => [x(i), e.loss]),
          ),
          series(
            'test loss',
            epochs.map((e, i): Point => [x(i), e.testLoss]),
            true,
          ),
        ]
      : [
          series(
            'train acc',
            epochs.map((e, i): Point => [x(i), percent(e.trainAcc)]),
          ),
          series(
            'test acc',
            epochs.map((e, i): Point => [x(i), percent(e.testAcc)]),
            true,
          ),
        ];
  const marks = phaseStarts(epochs);
  if (marks.length > 0 && marks.length <= 40) {
    Object.assign(lines[0], {
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { color: '#d0d5dd', type: 'dotted', width: 1 },
        label: { show: false },
        data: marks.map((m) => ({ xAxis: m.index - 0.5 })),
      },
    });
  }
  return {
    ...baseOption(animation),
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: axisTooltip(
        (x) => {
          const e = epochs[Math.round(x) - 1];
          return e ? `${e.phase} · epoch ${e.epoch}` : `epoch ${Math.round(x)}`;
        },
        (v) => (kind === 'loss' ? v.toFixed(4) : `${v.toFixed(2)}%`),
      ),
    },
    xAxis: epochAxis(epochs.length, {
      axisLabel: { color: '#475467', fontSize: 11, showMinLabel: epochs.length <= 6 },
    }),
    yAxis:
      kind === 'loss' ? valueAxis('loss', { scale: true }) : valueAxis('accuracy, %', { min: accuracyFloor, max: 100 }),
    series: lines,
  };
}
