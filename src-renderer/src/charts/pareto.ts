/**
 * The Pareto view: accuracy (validation and test) against a cost (parameters, inference time) over
 * the compared runs, with each accuracy's frontier drawn and the runs on it named. A run is on the
 * frontier when no other run is at most as costly and more accurate.
 */
import type { CompareRow } from '@contract';
import { baseOption, escapeHtml, THINNED_LABELS, uniqueNames, valueAxis, type ChartOption } from './theme';

export interface ParetoPoint {
  id: string;
  x: number;
  y: number;
}

/** Ids on the frontier (lower x, higher y is better), ordered by x. Ties in x keep the more accurate. */
export function paretoFrontier(points: readonly ParetoPoint[]): string[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const out: string[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.y > best) {
      out.push(p.id);
      best = p.y;
    }
  }
  return out;
}

export type ParetoCost = 'params' | 'time';
const COST: Record<ParetoCost, { axis: string; of: (r: CompareRow) => number | null; show: (v: number) => string }> = {
  params: { axis: 'parameters, million', of: (r) => r.paramsM, show: (v) => `${v.toFixed(3)}M params` },
  time: { axis: 'inference time, s', of: (r) => r.inferenceSeconds, show: (v) => `${v.toFixed(2)} s inference` },
};
const ACC = [
  { key: 'valAcc', label: 'validation', color: '#0f9d8a', symbol: 'circle' },
  { key: 'testAcc', label: 'test', color: '#2f6fed', symbol: 'triangle' },
] as const;

/** Runs a Pareto view can place: finished, with a model of their own (not sensitivity tables). */
export function paretoRows(rows: readonly CompareRow[]): CompareRow[] {
  return rows.filter((r) => r.protocol !== 'sensitivity');
}

export function paretoOption(all: readonly CompareRow[], cost: ParetoCost, animation = true): ChartOption {
  const rows = paretoRows(all);
  const names = uniqueNames(rows);
  const c = COST[cost];
  const series = ACC.flatMap((a) => {
    const pts = rows
      .map((r) => ({ id: r.id, x: c.of(r), y: r[a.key] ?? null }))
      .filter((p): p is ParetoPoint => p.x !== null && p.y !== null);
    if (pts.length === 0) return [];
    const front = paretoFrontier(pts);
    const byId = new Map(pts.map((p) => [p.id, p]));
    const pct = (y: number) => Math.round(y * 10000) / 100;
    return [
      {
        type: 'scatter' as const,
        name: `${a.label} accuracy`,
        symbol: a.symbol,
        symbolSize: 11,
        itemStyle: { color: a.color, borderColor: '#fff', borderWidth: 1 },
        data: pts.map((p) => ({ value: [p.x, pct(p.y)], name: names.get(p.id) ?? p.id })),
        tooltip: { formatter: (q: { name: string; value: number[] }) => `${escapeHtml(q.name)}<br/>${c.show(q.value[0])} · ${q.value[1].toFixed(2)}% ${a.label} acc` },
      },
      {
        type: 'line' as const,
        name: `${a.label} frontier`,
        step: 'end' as const,
        symbol: 'none',
        lineStyle: { color: a.color, width: 1.5, type: 'dashed' as const },
        label: { show: false },
        endLabel: { show: false },
        data: front.map((id) => {
          const p = byId.get(id)!;
          return { value: [p.x, pct(p.y)], name: names.get(id) ?? id, label: { show: true, formatter: () => names.get(id) ?? id, fontSize: 11, color: '#344054', position: 'top' as const } };
        }),
      },
    ];
  });
  return {
    ...baseOption(animation),
    tooltip: { trigger: 'item', confine: true },
    legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: '#475467' } },
    grid: { left: 56, right: 28, top: 40, bottom: 44 },
    // Ticks that would collide are hidden (the cost axis' first, which sits in the corner under the
    // accuracy axis' lowest); accuracy stays within 0..100 % (no tick below 0 %).
    xAxis: valueAxis(c.axis, { scale: true, nameGap: 28, boundaryGap: ['15%', '15%'], axisLabel: { ...THINNED_LABELS, showMinLabel: false } }),
    yAxis: valueAxis('accuracy, %', {
      nameGap: 40,
      ...accuracyBounds(series.flatMap((x) => x.data.map((d) => d.value[1]))),
      axisLabel: THINNED_LABELS,
    }),
    series,
  } as ChartOption;
}

/**
 * The accuracy axis: bounds and step on multiples of 5 points with a little room around the data,
 * within 0..100 %, so every tick is a round number and none sits beside a bound (ECharts' own choice
 * gave labels such as 38 next to 39, or 54 next to 55).
 */
export function accuracyBounds(ys: readonly number[]): { min: number; max: number; interval: number } {
  if (ys.length === 0) return { min: 0, max: 100, interval: 20 };
  const [low, high] = [Math.min(...ys) - 2, Math.max(...ys) + 2];
  const interval = high - low <= 25 ? 5 : high - low <= 50 ? 10 : 20; // each divides 100
  const min = Math.max(0, Math.floor(low / interval) * interval);
  return { min, max: Math.min(100, Math.max(min + interval, Math.ceil(high / interval) * interval)), interval };
}

/** The runs on each frontier, by name (for the report's text and tables). */
export function frontierNames(all: readonly CompareRow[], cost: ParetoCost): Record<'valAcc' | 'testAcc', string[]> {
  const rows = paretoRows(all);
  const names = uniqueNames(rows);
  const of = (key: 'valAcc' | 'testAcc') =>
    paretoFrontier(rows.map((r) => ({ id: r.id, x: COST[cost].of(r), y: r[key] ?? null })).filter((p): p is ParetoPoint => p.x !== null && p.y !== null)).map((id) => names.get(id) ?? id);
  return { valAcc: of('valAcc'), testAcc: of('testAcc') };
}
