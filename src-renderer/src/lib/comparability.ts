/**
 * Whether the runs of a comparison can be compared number by number, and why not.
 *
 * Runs may differ in data slice (dataset, train/test images per class), width, backend, device or
 * inference batch. Accuracy differences need the same test (or train) images; time differences
 * need the same backend, device and batch, and are taken per image, so a run timed on 400 test
 * images and one on 100 compare by ms per image, not by total seconds. A refused difference carries
 * the reason to show in its place.
 */
import type { CompareRow, RunRecord } from '@contract';

export interface Difference {
  /** What differs: "test images per class", "backend", ... */
  what: string;
  /** Each run's value, in the order of the runs: "A 40 · B 10". */
  values: string;
}

export type DiffKey = 'trainAcc' | 'testAcc' | 'time';

export interface RowDiffs {
  /** Per-image inference time difference in percent (null when refused or unknown). */
  timePerImage: number | null;
  /** Differences not shown, with why. */
  refused: Partial<Record<DiffKey, string>>;
}

const perClass = (n: number) => (n > 0 ? String(n) : 'all');
const dataOf = (r: RunRecord) => r.config.data;

/** The facts that tell runs apart, each read from a run's record. */
const FACTS: { what: string; of: (r: RunRecord) => string }[] = [
  { what: 'dataset', of: (r) => r.datasetChecksum?.slice(0, 12) ?? dataOf(r).path },
  { what: 'train images per class', of: (r) => perClass(dataOf(r).trainPerClass) },
  { what: 'test images per class', of: (r) => perClass(dataOf(r).testPerClass) },
  { what: 'width', of: (r) => (r.config.model.widthDivisor === 1 ? 'full' : `1/${r.config.model.widthDivisor}`) },
  { what: 'backend', of: (r) => r.final?.backend ?? r.backend ?? r.config.backend },
  { what: 'device', of: (r) => r.device ?? 'unknown' },
  { what: 'inference batch', of: (r) => String(r.final?.inferenceBatch ?? r.config.inferenceBatch) },
];

/** Every fact on which the runs differ, with each run's value ("A 80 · B 20"). */
export function differences(runs: readonly RunRecord[], labels: ReadonlyMap<string, string>): Difference[] {
  return FACTS.flatMap(({ what, of }) => {
    const vals = runs.map(of);
    if (new Set(vals).size <= 1) return [];
    return [{ what, values: runs.map((r, i) => `${labels.get(r.id) ?? r.id} ${vals[i]}`).join(' · ') }];
  });
}

function unlike(a: RunRecord, b: RunRecord, whats: readonly string[]): string[] {
  return FACTS.filter((f) => whats.includes(f.what) && f.of(a) !== f.of(b)).map(
    (f) => `${f.what} ${f.of(a)} vs ${f.of(b)}`,
  );
}

/** Seconds per image of a run's inference timing, or null. */
export function secondsPerImage(row: CompareRow, rec: RunRecord | undefined): number | null {
  const n = rec?.final?.inferenceImages;
  return row.inferenceSeconds !== null && n ? row.inferenceSeconds / n : null;
}

/** What of `row` against the reference can be shown as a difference. */
export function rowDiffs(
  row: CompareRow,
  rec: RunRecord | undefined,
  refRow: CompareRow,
  ref: RunRecord | undefined,
): RowDiffs {
  const refused: RowDiffs['refused'] = {};
  if (!rec || !ref) return { timePerImage: null, refused };
  const why = (facts: string[]) => (facts.length ? `not comparable: ${facts.join(', ')}` : null);
  const test = why(unlike(rec, ref, ['dataset', 'test images per class']));
  const train = why(unlike(rec, ref, ['dataset', 'train images per class']));
  const time = why(unlike(rec, ref, ['backend', 'device', 'inference batch']));
  if (test) refused.testAcc = test;
  if (train) refused.trainAcc = train;
  if (time) refused.time = time;
  const a = secondsPerImage(row, rec);
  const b = secondsPerImage(refRow, ref);
  const timePerImage = !time && a !== null && b ? ((a - b) / b) * 100 : null;
  return { timePerImage, refused };
}
