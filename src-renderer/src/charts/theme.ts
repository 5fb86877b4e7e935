/** Chart styling shared by every option builder: one palette, one font, quiet axes. */
import type { ComposeOption } from 'echarts/core';
import type { LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  MarkLineComponentOption,
} from 'echarts/components';

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | MarkLineComponentOption
>;

export const FONT =
  'Inter, "Segoe UI", system-ui, -apple-system, "Helvetica Neue", "Liberation Sans", Arial, sans-serif';

/** Series colours: blue, teal, amber, violet, rose, slate, green, orange. */
export const PALETTE = ['#2f6fed', '#0f9d8a', '#d98a00', '#7a5af8', '#e04f6a', '#56627a', '#3aa845', '#e36c1e'];

export const GRID_COLOR = '#eceef2';
export const TEXT_COLOR = '#475467';

/** Axis labels that hide a tick's label rather than draw it over its neighbour. */
export const THINNED_LABELS = { color: TEXT_COLOR, fontSize: 11, hideOverlap: true } as const;

export function valueAxis(name: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'value' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap: 36,
    nameTextStyle: { color: TEXT_COLOR, fontSize: 11 },
    axisLine: { show: false },
    axisTick: { show: false },
    axisLabel: { color: TEXT_COLOR, fontSize: 11 },
    splitLine: { lineStyle: { color: GRID_COLOR } },
    ...extra,
  };
}

/** An x axis of whole epochs from 1 to `last` (at least 2, so a single epoch still spans the axis). */
export function epochAxis(last: number, extra: Record<string, unknown> = {}) {
  return {
    ...valueAxis('epoch', { nameGap: 28 }),
    min: 1,
    max: Math.max(2, last),
    minInterval: 1,
    splitLine: { show: false },
    axisLine: { show: true, lineStyle: { color: '#d0d5dd' } },
    ...extra,
  };
}

/** An accuracy (0..1) as a percentage with two decimals; null where there is none. */
export function percent(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 10000) / 100;
}

export function baseOption(animation: boolean): ChartOption {
  return {
    animation,
    color: PALETTE,
    textStyle: { fontFamily: FONT, color: TEXT_COLOR },
    grid: { left: 56, right: 20, top: 36, bottom: 44 },
    legend: { top: 4, right: 8, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11, color: TEXT_COLOR } },
    tooltip: { trigger: 'axis', confine: true, textStyle: { fontSize: 12 } },
  };
}

/** Labels must be unique per chart: a repeated name gets its run id appended. */
export function uniqueNames(items: readonly { id: string; name: string }[]): Map<string, string> {
  const seen = new Map<string, number>();
  for (const it of items) seen.set(it.name, (seen.get(it.name) ?? 0) + 1);
  return new Map(
    items.map((it) => [
      it.id,
      (seen.get(it.name) ?? 0) > 1 || !it.name ? `${it.name || 'run'} · ${it.id.slice(0, 6)}` : it.name,
    ]),
  );
}

/** Tooltips are HTML: anything the user typed (run names) is escaped before it goes in. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

interface AxisParam {
  marker?: unknown;
  seriesName?: string;
  value?: unknown;
  axisValue?: unknown;
  dataIndex?: number;
}

/**
 * An axis tooltip: a header for the hovered x (e.g. "train · epoch 3"), then one line per series
 * with its marker, escaped name and formatted value.
 */
export function axisTooltip(header: (x: number, index: number) => string, format: (v: number) => string) {
  return (raw: unknown): string => {
    const ps = (Array.isArray(raw) ? raw : [raw]) as AxisParam[];
    const x = Number(ps[0]?.axisValue);
    const lines = ps.map((p) => {
      const y = Array.isArray(p.value) ? p.value[1] : p.value;
      const marker = typeof p.marker === 'string' ? p.marker : '';
      return `${marker}${escapeHtml(p.seriesName ?? '')}&nbsp;&nbsp;<b>${typeof y === 'number' ? format(y) : '—'}</b>`;
    });
    return [escapeHtml(header(x, ps[0]?.dataIndex ?? 0)), ...lines].join('<br/>');
  };
}
