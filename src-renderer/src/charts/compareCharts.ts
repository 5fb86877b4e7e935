/**
 * Comparison charts: test accuracy against parameters, and test accuracy per epoch overlaid.
 *
 * Runs are labelled by their short letters (A, B, C: runLabels.ts, keyed beside the charts), so
 * point labels stay small; ECharts moves overlapping labels apart and grid.containLabel keeps them
 * and the axis ticks inside the chart. In the per-epoch chart a run that starts from a baseline
 * continues from the baseline's last epoch (x = epochs since the baseline's start), and a greedy
 * run is drawn as its test accuracy after each fine-tuning step; what cannot be drawn is said in
 * `notes`.
 */
import { baselineOf, type CompareRow, type EpochMetrics, type RunRecord } from '@contract';
import { paramsUnit } from '../lib/numbers';
import { decisionPoints } from './trainingCurves';
import { epochPositions, phaseSegments } from './phases';
import {
  PALETTE,
  axisTooltip,
  baseOption,
  escapeHtml,
  percent,
  valueAxis,
  TEXT_COLOR,
  THINNED_LABELS,
  type ChartOption,
} from './theme';

/** One scatter point per run with both numbers; the reference is drawn as a diamond. */
export function accuracyVsParamsOption(
  rows: readonly CompareRow[],
  referenceId: string,
  labels: ReadonlyMap<string, string>,
  animation = true,
): ChartOption {
  const points = rows.filter((r) => r.paramsM !== null && r.testAcc !== null);
  const unit = paramsUnit(points.map((r) => (r.paramsM as number) * 1e6));
  // Runs on the same spot (a control with its baseline's parameters and accuracy) share one label, "A, D".
  const spot = (r: CompareRow) =>
    `${Math.round((r.paramsM as number) * 1e6)}|${((r.testAcc as number) * 100).toFixed(2)}`;
  const together = new Map<string, string[]>();
  for (const r of points) together.set(spot(r), [...(together.get(spot(r)) ?? []), labels.get(r.id) ?? '?']);
  return {
    ...baseOption(animation),
    legend: { show: false },
    tooltip: { trigger: 'item', confine: true },
    grid: { left: 16, right: 24, top: 28, bottom: 34, containLabel: true },
    // Room around the points for their labels; ticks that would collide are hidden.
    xAxis: valueAxis(`parameters, ${unit.name}`, {
      scale: true,
      nameGap: 26,
      boundaryGap: ['25%', '25%'],
      // the first tick sits in the corner, where the accuracy axis's lowest label is
      axisLabel: { ...THINNED_LABELS, showMinLabel: false },
    }),
    yAxis: valueAxis('test accuracy, %', {
      scale: true,
      nameLocation: 'end',
      nameGap: 12,
      nameTextStyle: { align: 'left', color: TEXT_COLOR, fontSize: 11 },
      boundaryGap: ['25%', '25%'],
      axisLabel: THINNED_LABELS,
    }),
    series: points.map((r, i) => {
      const label = labels.get(r.id) ?? '?';
      const group = together.get(spot(r)) ?? [label];
      const params = (r.paramsM as number) * 1e6;
      return {
        type: 'scatter' as const,
        name: label,
        symbol: r.id === referenceId ? 'diamond' : 'circle',
        symbolSize: r.id === referenceId ? 16 : 12,
        itemStyle: { color: PALETTE[i % PALETTE.length], borderColor: '#fff', borderWidth: 1.5 },
        label: {
          show: group[0] === label,
          position: 'right' as const,
          distance: 6,
          formatter: () => group.join(', '),
          fontSize: 12,
          fontWeight: 600,
          color: '#344054',
        },
        labelLayout: { moveOverlap: 'shiftY' as const, hideOverlap: false },
        tooltip: {
          formatter: () =>
            `${label} · ${escapeHtml(r.name || r.id)}<br/>${unit.format(params)} ${unit.name} params · ${((r.testAcc as number) * 100).toFixed(2)}% test acc`,
        },
        data: [[params / unit.divisor, Math.round((r.testAcc as number) * 10000) / 100]],
      };
    }),
  };
}

export interface TimelineLine {
  id: string;
  label: string;
  points: [number, number | null][];
  /** Greedy: points are decisions after each fine-tuning step. */
  steps: boolean;
}

/**
 * Each run's test accuracy against epochs since its baseline's start: a run with a baseline
 * (records[baselineRunId], or that run's own record) continues after the baseline's last epoch.
 */
export function accuracyTimelines(
  curves: Readonly<Record<string, readonly EpochMetrics[]>>,
  runs: readonly { id: string; name: string }[],
  records: Readonly<Record<string, RunRecord | undefined>>,
  labels: ReadonlyMap<string, string>,
): { lines: TimelineLine[]; notes: string[] } {
  const lines: TimelineLine[] = [];
  const notes: string[] = [];
  for (const r of runs) {
    const rec = records[r.id];
    const label = labels.get(r.id) ?? r.name;
    const epochs = curves[r.id] ?? rec?.epochs ?? [];
    const baseId = rec ? baselineOf(rec.config) : null;
    const base = baseId ? records[baseId] : undefined;
    const offset = base?.final?.epochsTrained ?? 0;
    if (baseId && !base?.final) notes.push(`${label}: its baseline run is not available, so its epochs start at 1`);
    const xs = epochPositions(epochs, offset);
    if (rec?.protocol === 'greedy') {
      const points = decisionPoints(rec.greedy, phaseSegments(epochs, offset));
      if (points.length) lines.push({ id: r.id, label: `${label} (after each swap)`, points, steps: true });
      else notes.push(`${label} (greedy): no decision recorded yet`);
      continue;
    }
    const points = epochs.map((e, i): [number, number | null] => [xs[i], percent(e.testAcc)]);
    if (points.some(([, y]) => y !== null)) lines.push({ id: r.id, label, points, steps: false });
    else notes.push(`${label}: no test accuracy recorded per epoch`);
  }
  return { lines, notes };
}

/** Rows a centred legend of `n` entries takes in a half-page chart (three entries a row). */
export function legendRows(n: number): number {
  return Math.max(1, Math.ceil(n / 3));
}

/** Test accuracy per epoch of each run, on a common axis of epochs since the baseline's start. */
export function testAccOverlayOption(lines: readonly TimelineLine[], animation = true): ChartOption {
  const xs = lines.flatMap((l) => l.points.map(([x]) => x));
  const min = xs.length ? Math.min(...xs) : 0;
  return {
    ...baseOption(animation),
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: axisTooltip(
        (x) => `epoch ${Math.round(x)} since the baseline's start`,
        (v) => `${v.toFixed(2)}%`,
      ),
    },
    xAxis: {
      ...valueAxis('epochs since the baseline’s start', { nameGap: 26 }),
      min,
      max: Math.max(min + 1, ...xs),
      minInterval: 1,
      splitLine: { show: false },
      axisLine: { show: true, lineStyle: { color: '#d0d5dd' } },
      axisLabel: THINNED_LABELS,
    },
    yAxis: valueAxis('test accuracy, %', {
      scale: true,
      nameLocation: 'end',
      nameGap: 12,
      nameTextStyle: { align: 'left', color: TEXT_COLOR, fontSize: 11 },
    }),
    legend: { bottom: 0, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: TEXT_COLOR } },
    grid: { left: 12, right: 20, top: 28, bottom: legendRows(lines.length) * 20 + 34, containLabel: true },
    series: lines.map((l) => ({
      type: 'line' as const,
      name: l.label,
      data: l.points,
      connectNulls: true,
      showSymbol: l.steps || l.points.length < 30,
      symbol: l.steps ? 'triangle' : 'circle',
      symbolSize: l.steps ? 7 : 5,
      lineStyle: { width: 2, type: l.steps ? ('dashed' as const) : ('solid' as const) },
    })),
  };
}
