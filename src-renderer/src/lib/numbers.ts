/**
 * Numbers a reader must be able to tell apart: parameter counts in a unit and precision that
 * separate every value shown together, greedy thresholds as percentages, short run letters.
 */

export interface ParamsUnit {
  /** "million" or "thousand", for a column or axis name ("Params, thousand"). */
  name: string;
  divisor: number;
  /** A count in this unit with enough decimals to separate the values it was made for. */
  format(n: number | null | undefined): string;
}

/**
 * Millions when every count is at least one million, else thousands; decimals (1 to 3 for
 * thousands, 2 to 4 for millions) grow until distinct counts print distinctly.
 * 75,870 and 73,966 -> "75.9" and "74.0" thousand; 26,215,818 and 16,190,026 -> "26.22" and "16.19" million.
 */
export function paramsUnit(counts: readonly number[]): ParamsUnit {
  const finite = counts.filter((n) => Number.isFinite(n));
  const millions = finite.length > 0 && finite.every((n) => Math.abs(n) >= 1e6);
  const divisor = millions ? 1e6 : 1e3;
  const [lo, hi] = millions ? [2, 4] : [1, 3];
  const distinct = new Set(finite.map((n) => Math.round(n)));
  let digits = lo;
  while (digits < hi && new Set([...distinct].map((n) => (n / divisor).toFixed(digits))).size < distinct.size) digits++;
  return {
    name: millions ? 'million' : 'thousand',
    divisor,
    format: (n) => (typeof n === 'number' && Number.isFinite(n) ? (n / divisor).toFixed(digits) : '\u2014'),
  };
}

/** A greedy threshold: absolute 0.7 -> "70.0% test accuracy"; relative 0.864… -> "86.4% of the baseline's test accuracy". */
export function formatThreshold(mode: 'absolute' | 'relative', value: number): string {
  const p = `${(value * 100).toFixed(1)}%`;
  return mode === 'relative' ? `${p} of the baseline’s test accuracy` : `${p} test accuracy`;
}

/** 0 -> "A", 25 -> "Z", 26 -> "AA": short labels for runs in tables and charts, keyed once. */
export function runLetter(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

/** Run id -> its letter, in the order given. */
export function runLabels(ids: readonly string[]): Map<string, string> {
  return new Map(ids.map((id, i) => [id, runLetter(i)]));
}
