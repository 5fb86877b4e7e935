/**
 * The inference-timing protocol, for any runtime: warm up until stable (two consecutive warm-up
 * rounds' medians agree within a tolerance, for every model), then at least five repeats in which
 * the models are alternated and the order rotates each repeat, so no model is always timed first.
 * Each measurement runs the batch k times, k calibrated so one measurement lasts >= minMeasureMs.
 * Results are milliseconds per image: median, min/max and quartiles over the repeats.
 */
import type { TimingStats } from '../contract';

export interface Subject {
  id: string;
  /** Runs one batch to completion (outputs read back). */
  run(): Promise<void>;
}

export interface ProtocolOptions {
  batch: number;
  repeats: number;
  warmupTolerance: number;
  maxWarmupRounds: number;
  /** Each measurement lasts at least this long (the batch runs k times); default 50 ms. */
  minMeasureMs?: number;
  /** Called between measurements (e.g. to yield to an event loop or check cancellation). */
  between?: () => Promise<void>;
}

export interface SubjectTiming {
  id: string;
  msPerImage: TimingStats;
  warmupRounds: number;
  stable: boolean;
  runsPerMeasurement: number;
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarise(samples: readonly number[]): TimingStats {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75), repeats: s.length, samples: [...samples] };
}

/** `items` rotated left by `by` (repeat r starts with model r mod n). */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length ? by % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function measure(s: Subject, k: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) await s.run();
  return performance.now() - t0;
}

/** Two consecutive medians within `tol` of each other (relative to the later one). */
export function agrees(prev: number, next: number, tol: number): boolean {
  return Math.abs(next - prev) <= tol * Math.max(next, 1e-9);
}

/** Times every subject under the protocol; results in subjects' order. */
export async function timeAlternated(subjects: readonly Subject[], o: ProtocolOptions): Promise<SubjectTiming[]> {
  const minMs = o.minMeasureMs ?? 50;
  const k = new Map<string, number>();
  for (const s of subjects) {
    const once = await measure(s, 1); // first run: also loads lazy state (kernels, allocations)
    k.set(s.id, Math.max(1, Math.ceil(minMs / Math.max(once, 1e-3))));
    await o.between?.();
  }
  const warm = await warmUp(subjects, k, o);
  const samples = new Map<string, number[]>(subjects.map((s) => [s.id, []]));
  for (let r = 0; r < o.repeats; r++) {
    for (const s of rotate(subjects, r)) {
      const ms = await measure(s, k.get(s.id)!);
      samples.get(s.id)!.push(ms / (k.get(s.id)! * o.batch));
      await o.between?.();
    }
  }
  return subjects.map((s) => ({
    id: s.id,
    msPerImage: summarise(samples.get(s.id)!),
    warmupRounds: warm.rounds,
    stable: warm.stable,
    runsPerMeasurement: k.get(s.id)!,
  }));
}

/** Warm-up rounds of three alternated measurements per model until every model's median settles. */
async function warmUp(subjects: readonly Subject[], k: Map<string, number>, o: ProtocolOptions): Promise<{ rounds: number; stable: boolean }> {
  const prev = new Map<string, number>();
  for (let round = 1; round <= o.maxWarmupRounds; round++) {
    const times = new Map<string, number[]>(subjects.map((s) => [s.id, []]));
    for (let i = 0; i < 3; i++) {
      for (const s of rotate(subjects, round + i)) {
        times.get(s.id)!.push(await measure(s, k.get(s.id)!));
        await o.between?.();
      }
    }
    let settled = round > 1;
    for (const s of subjects) {
      const med = summarise(times.get(s.id)!).median;
      if (!prev.has(s.id) || !agrees(prev.get(s.id)!, med, o.warmupTolerance)) settled = false;
      prev.set(s.id, med);
    }
    if (settled) return { rounds: round, stable: true };
  }
  return { rounds: o.maxWarmupRounds, stable: false };
}
