/**
 * Number formatting for tables, charts and the report. Pure: no DOM, no Vue, no locale surprises
 * (everything is fixed to en-US digits so screenshots, tests and PDFs read the same everywhere).
 */

const MINUS = '\u2212';
const DASH = '\u2014';

function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** 26_215_818 -> "26.22M", 70_528 -> "70.5K", 512 -> "512". */
export function formatParams(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(Math.round(n));
}

/** 100.0059 -> "100.01 MiB"; `unit: false` drops the unit for table cells. */
export function formatMiB(x: number | null | undefined, unit = true): string {
  if (!finite(x)) return DASH;
  return unit ? `${x.toFixed(2)} MiB` : x.toFixed(2);
}

/** A signed percentage: 3.21 -> "+3.2%", -12 -> "−12.0%", 0 -> "0.0%". Input is already in percent. */
export function formatPercent(p: number | null | undefined, digits = 1): string {
  if (!finite(p)) return DASH;
  const s = Math.abs(p).toFixed(digits);
  if (Number(s) === 0) return `${(0).toFixed(digits)}%`;
  return `${p < 0 ? MINUS : '+'}${s}%`;
}

/** An accuracy in 0..1 as a percentage: 0.71234 -> "71.23%". */
export function formatAcc(a: number | null | undefined, digits = 2): string {
  return finite(a) ? `${(a * 100).toFixed(digits)}%` : DASH;
}

/** Integer with thousands separators: 26215818 -> "26,215,818". */
export function formatInt(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const sign = n < 0 ? MINUS : '';
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds with sensible precision: 0.0123 -> "0.012 s", 12.345 -> "12.3 s", 1234 -> "1234 s". */
export function formatSeconds(s: number | null | undefined): string {
  if (!finite(s)) return DASH;
  if (s < 1) return `${s.toFixed(3)} s`;
  if (s < 100) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}

/** A duration for ETAs: 42 -> "42s", 185 -> "3m 05s", 3725 -> "1h 02m". */
export function formatDuration(s: number | null | undefined): string {
  if (!finite(s) || s < 0) return DASH;
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m}m ${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Throughput: 1234.5 -> "1,235/s". */
export function formatRate(r: number | null | undefined): string {
  return finite(r) ? `${formatInt(r)}/s` : DASH;
}

/** ISO timestamp -> "2025-11-28 05:19" in local time. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** An unsigned share in percent: 17.234 -> "17.2%". */
export function formatShare(p: number | null | undefined, digits = 1): string {
  return finite(p) ? `${p.toFixed(digits)}%` : DASH;
}
