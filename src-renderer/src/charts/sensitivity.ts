/**
 * The sensitivity table as a chart (accuracy drop per block, one line per depth multiplier) and as
 * a heat strip for the architecture diagram (the drop at one r, scaled to the table's largest).
 */
import { BLOCKS, type SensitivityResult } from '@contract';
import { PALETTE, THINNED_LABELS, baseOption, valueAxis, type ChartOption } from './theme';

export function sensitivityOption(t: SensitivityResult, animation = true): ChartOption {
  const labels = BLOCKS.map((b) => b.label);
  return {
    ...baseOption(animation),
    tooltip: { trigger: 'axis', confine: true },
    legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: '#475467' } },
    grid: { left: 40, right: 20, top: 36, bottom: 16, containLabel: true },
    xAxis: { type: 'category', data: labels, axisLabel: { fontSize: 10, interval: 'auto', hideOverlap: true } },
    yAxis: valueAxis(`${t.evaluatedOn} accuracy drop, points`, { nameGap: 40, axisLabel: { ...THINNED_LABELS, showMinLabel: false } }),
    series: t.ranks.map((r, i) => ({
      type: 'line' as const,
      name: `r = ${r}`,
      color: PALETTE[i % PALETTE.length],
      symbolSize: 6,
      connectNulls: false,
      data: BLOCKS.map((b) => {
        const row = t.rows.find((x) => x.block === b.name && x.r === r);
        return row ? Math.round(row.drop * 10000) / 100 : null;
      }),
    })),
  } as ChartOption;
}

export interface Heat {
  /** 0 (no drop or a gain) .. 1 (the table's largest drop). */
  level: number;
  text: string;
}

/** Per block, the drop at depth multiplier `r` as a heat level, for the diagram's strip. */
export function sensitivityHeat(t: SensitivityResult, r: number): Record<string, Heat> {
  const rows = t.rows.filter((x) => x.r === r);
  const worst = Math.max(1e-9, ...rows.map((x) => x.drop));
  return Object.fromEntries(
    rows.map((x) => [x.block, { level: Math.max(0, x.drop) / worst, text: `${x.label} at r = ${r}: ${(x.drop * 100).toFixed(2)} points ${x.drop >= 0 ? 'lost' : 'gained'} on ${t.evaluatedOn}, kernel error ${x.kernelError.toFixed(3)}, ${x.paramsSaved.toLocaleString('en-US')} params saved${x.msSaved == null ? '' : `, ${(x.msSaved * 1000).toFixed(1)} µs/image ${x.msSaved >= 0 ? 'saved' : 'added'} in ONNX Runtime`}` }]),
  );
}
