/** Comparison charts: test accuracy against parameters, and test-accuracy curves overlaid. */
import type { CompareRow, EpochMetrics } from '@contract';
import {
  PALETTE,
  axisTooltip,
  baseOption,
  epochAxis,
  escapeHtml,
  percent,
  uniqueNames,
  valueAxis,
  type ChartOption,
} from './theme';

/** One scatter point per run with both numbers; the reference is drawn as a diamond. */
export function accuracyVsParamsOption(
  rows: readonly CompareRow[],
  referenceId: string,
  animation = true,
): ChartOption {
  const names = uniqueNames(rows);
  const points = rows.filter((r) => r.paramsM !== null && r.testAcc !== null);
  return {
    ...baseOption(animation),
    legend: { show: false },
    tooltip: { trigger: 'item', confine: true },
    grid: { left: 56, right: 28, top: 24, bottom: 44 },
    // Room around the points for their labels (drawn above each point).
    xAxis: valueAxis('parameters, million', { scale: true, nameGap: 28, boundaryGap: ['20%', '20%'] }),
    yAxis: valueAxis('test accuracy, %', { scale: true, nameGap: 40, boundaryGap: ['20%', '20%'] }),
    series: points.map((r, i) => ({
      type: 'scatter' as const,
      name: names.get(r.id),
      symbol: r.id === referenceId ? 'diamond' : 'circle',
      symbolSize: r.id === referenceId ? 16 : 12,
      itemStyle: { color: PALETTE[i % PALETTE.length], borderColor: '#fff', borderWidth: 1.5 },
      // A function, not a template string: run names may contain ECharts' {a}/{b} placeholders.
      label: {
        show: true,
        position: 'top' as const,
        distance: 8,
        formatter: () => names.get(r.id) ?? '',
        fontSize: 11,
        color: '#344054',
      },
      tooltip: {
        formatter: () =>
          `${escapeHtml(names.get(r.id) ?? '')}<br/>${(r.paramsM as number).toFixed(2)}M params · ${((r.testAcc as number) * 100).toFixed(2)}% test acc`,
      },
      data: [[Math.round((r.paramsM as number) * 100) / 100, Math.round((r.testAcc as number) * 10000) / 100]],
    })),
  };
}

/** Rows a centred legend of `n` entries takes in a half-page chart (two entries a row). */
export function legendRows(n: number): number {
  return Math.max(1, Math.ceil(n / 2));
}

/** Test accuracy per epoch of each run (runs without test evaluations are left out). */
export function testAccOverlayOption(
  curves: Readonly<Record<string, readonly EpochMetrics[]>>,
  runs: readonly { id: string; name: string }[],
  animation = true,
): ChartOption {
  const names = uniqueNames(runs);
  const lines = runs
    .map((r) => ({
      r,
      pts: (curves[r.id] ?? []).map((e, i) => [i + 1, percent(e.testAcc)]),
    }))
    .filter(({ pts }) => pts.some(([, y]) => y !== null));
  const longest = Math.max(0, ...lines.map((l) => l.pts.length));
  return {
    ...baseOption(animation),
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: axisTooltip(
        (x) => `epoch ${Math.round(x)}`,
        (v) => `${v.toFixed(2)}%`,
      ),
    },
    xAxis: epochAxis(longest),
    yAxis: valueAxis('test accuracy, %', { scale: true, nameGap: 40 }),
    legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: '#475467' } },
    grid: { left: 56, right: 20, top: legendRows(lines.length) * 20 + 18, bottom: 44 },
    series: lines.map(({ r, pts }) => ({
      type: 'line' as const,
      name: names.get(r.id),
      data: pts,
      connectNulls: true,
      showSymbol: pts.length < 30,
      symbolSize: 5,
      lineStyle: { width: 2 },
    })),
  };
}
