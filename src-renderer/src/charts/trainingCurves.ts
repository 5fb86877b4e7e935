/**
 * Loss and accuracy curves of one run, from its EpochMetrics.
 *
 * Each line says what it measures: the training cross-entropy and the test cross-entropy share the
 * loss axis; ours' distillation objective (alpha T^2 KL + (1 - alpha) CE, another quantity) gets
 * its own axis on the right. The x axis counts training epochs (phases.ts): ours' SVD + BN
 * measurement sits at 0, labelled as such, and phase boundaries are marked. A greedy run's test
 * accuracy after each swap (its decisions) is drawn where that fine-tuning step ends. Lines with
 * no data are left out, so the legend lists only what is drawn.
 */
import type { EpochMetrics, GreedyRecord } from '@contract';
import { epochAxisName, epochPositions, phaseSegments, trained, type PhaseSegment } from './phases';
import { axisTooltip, baseOption, PALETTE, percent, TEXT_COLOR, valueAxis, type ChartOption } from './theme';

export type CurveKind = 'loss' | 'accuracy';

type Point = [number, number | null];

export const LINE_NAMES = {
  trainLoss: 'train cross-entropy',
  distill: 'distillation objective',
  testLoss: 'test cross-entropy',
  trainAcc: 'train accuracy',
  testAcc: 'test accuracy',
  decisions: 'test accuracy after each swap',
} as const;

function series(name: string, data: Point[], color: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'line' as const,
    name,
    data,
    color,
    showSymbol: data.length < 40,
    symbolSize: 5,
    connectNulls: true,
    lineStyle: { width: 2, type: 'solid' as const },
    ...extra,
  };
}
const dashed = { lineStyle: { width: 2, type: 'dashed' as const } };

const hasData = (s: { data: Point[] }) => s.data.some(([, y]) => y !== null && Number.isFinite(y));

/** The accuracy axis starts at the decade below the lowest value (0 when there is none). */
export function accuracyFloor(extent: { min: number }): number {
  return Number.isFinite(extent.min) ? Math.max(0, Math.floor(extent.min / 10) * 10) : 0;
}

/** Boundaries between phases as dotted lines; named when there are few enough to read. */
function phaseMarks(segments: readonly PhaseSegment[]) {
  // A boundary at a measurement-only phase's x is already named by the axis label there.
  const measured = new Set(segments.filter((s) => s.from === s.to).map((s) => s.to));
  const bounds = segments
    .slice(1)
    .filter((s) => !measured.has(s.from))
    .map((s) => ({ x: s.from, name: s.name }));
  // A greedy run changes phase every step: its axis name says so, and 20 dotted lines would only be noise.
  if (bounds.length === 0 || bounds.length > 6) return undefined;
  const named = bounds.length <= 3;
  return {
    silent: true,
    symbol: 'none',
    lineStyle: { color: '#d0d5dd', type: 'dotted' as const, width: 1 },
    label: named
      ? { show: true, position: 'insideEndTop' as const, formatter: '{b}', color: TEXT_COLOR, fontSize: 10 }
      : { show: false },
    data: bounds.map((b) => ({ xAxis: b.x, name: b.name })),
  };
}

/** Greedy decisions at the x where their fine-tuning step ended (step i = the i-th phase segment). */
export function decisionPoints(greedy: readonly GreedyRecord[], segments: readonly PhaseSegment[]): Point[] {
  return greedy.flatMap((r, i): Point[] => (segments[i] ? [[segments[i].to, percent(r.testAcc)]] : []));
}

function lossSeries(epochs: readonly EpochMetrics[], xs: number[]) {
  const pick = (f: (e: EpochMetrics) => number | null) => epochs.map((e, i): Point => [xs[i], f(e)]);
  const isDistill = (e: EpochMetrics) => e.phase === 'distill';
  return [
    series(
      LINE_NAMES.trainLoss,
      pick((e) => (trained(e) && !isDistill(e) ? e.loss : null)),
      PALETTE[0],
    ),
    series(
      LINE_NAMES.testLoss,
      pick((e) => e.testLoss),
      PALETTE[1],
      dashed,
    ),
    series(
      LINE_NAMES.distill,
      pick((e) => (trained(e) && isDistill(e) ? e.loss : null)),
      PALETTE[2],
      {
        yAxisIndex: 1,
      },
    ),
  ];
}

function accuracySeries(epochs: readonly EpochMetrics[], xs: number[], decisions: Point[]) {
  const pick = (f: (e: EpochMetrics) => number | null) => epochs.map((e, i): Point => [xs[i], percent(f(e))]);
  return [
    series(
      LINE_NAMES.trainAcc,
      pick((e) => (trained(e) ? e.trainAcc : null)),
      PALETTE[0],
    ),
    series(
      LINE_NAMES.testAcc,
      pick((e) => e.testAcc),
      PALETTE[1],
      dashed,
    ),
    series(LINE_NAMES.decisions, decisions, PALETTE[3], { showSymbol: true, lineStyle: { width: 1, opacity: 0.5 } }),
  ];
}

/** The x axis: training epochs, a measurement-only x labelled with its phase (e.g. 0 -> "SVD + BN"). */
function xAxis(segments: readonly PhaseSegment[], xs: number[]) {
  const marks = new Map(segments.filter((s) => s.from === s.to).map((s) => [s.to, s.name]));
  const min = xs.length ? Math.min(...xs, marks.size ? Infinity : 1) : 1;
  return {
    ...valueAxis(epochAxisName(segments), { nameGap: 26 }),
    min,
    max: Math.max(min + 1, ...xs),
    minInterval: 1,
    splitLine: { show: false },
    axisLine: { show: true, lineStyle: { color: '#d0d5dd' } },
    axisLabel: {
      color: TEXT_COLOR,
      fontSize: 11,
      hideOverlap: true,
      // A named first tick ("SVD + BN") starts at its tick rather than reaching under the y labels.
      alignMinLabel: marks.has(min) ? ('left' as const) : undefined,
      formatter: (v: number) => marks.get(v) ?? String(v),
    },
  };
}

export function curvesOption(
  epochs: readonly EpochMetrics[],
  kind: CurveKind,
  animation = true,
  greedy: readonly GreedyRecord[] = [],
): ChartOption {
  const xs = epochPositions(epochs);
  const segments = phaseSegments(epochs);
  const all = kind === 'loss' ? lossSeries(epochs, xs) : accuracySeries(epochs, xs, decisionPoints(greedy, segments));
  const lines = all.filter(hasData);
  const marks = phaseMarks(segments);
  if (marks && lines[0]) Object.assign(lines[0], { markLine: marks });
  const rightAxis = lines.some((l) => 'yAxisIndex' in l);
  const byX = new Map(xs.map((x, i) => [x, i]));
  const fmt = kind === 'loss' ? (v: number) => v.toFixed(4) : (v: number) => `${v.toFixed(2)}%`;
  return {
    ...baseOption(animation),
    legend: { bottom: 0, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: TEXT_COLOR } },
    grid: { left: 12, right: rightAxis ? 12 : 20, top: 26, bottom: 52, containLabel: true },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: axisTooltip((x) => {
        const e = epochs[byX.get(Math.round(x)) ?? -1];
        if (!e) return `epoch ${Math.round(x)}`;
        return trained(e)
          ? `${segments.find((s) => s.phase === e.phase)?.name ?? e.phase} · epoch ${e.epoch}`
          : `${segments.find((s) => s.phase === e.phase)?.name ?? e.phase} (before training)`;
      }, fmt),
    },
    xAxis: xAxis(segments, xs),
    yAxis:
      kind === 'loss'
        ? [
            valueAxis('cross-entropy', {
              scale: true,
              nameLocation: 'end',
              nameGap: 10,
              nameTextStyle: { align: 'left', color: TEXT_COLOR, fontSize: 11 },
            }),
            valueAxis('distillation objective', {
              scale: true,
              show: rightAxis,
              nameLocation: 'end',
              nameGap: 10,
              nameTextStyle: { align: 'right', color: TEXT_COLOR, fontSize: 11 },
              splitLine: { show: false },
            }),
          ]
        : valueAxis('accuracy, %', {
            min: accuracyFloor,
            max: 100,
            nameLocation: 'end',
            nameGap: 10,
            nameTextStyle: { align: 'left', color: TEXT_COLOR, fontSize: 11 },
          }),
    series: lines,
  };
}
