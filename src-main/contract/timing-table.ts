/**
 * The inference-timing table of a comparison (pure): per run, runtime and batch, the median and
 * spread (min-max) in ms per image, and the reference run's median over this one's (> 1: faster).
 */
import type { InferenceTiming, RuntimeTiming } from './deploy';
import type { CompareRow } from './wire';

export interface TimingLine {
  id: string;
  name: string;
  runtime: string;
  batch: number;
  median: number;
  min: number;
  max: number;
  stable: boolean;
  /** Reference median / this median for the same runtime and batch; null for the reference or when missing. */
  speedup: number | null;
}

function runtimes(t: InferenceTiming): RuntimeTiming[] {
  return t.engine ? [t.onnxruntime, t.engine] : [t.onnxruntime];
}

export function runtimeLabel(r: RuntimeTiming): string {
  return r.runtime === 'onnxruntime' ? `ONNX Runtime ${r.version} (${r.provider}, ${r.threads} thread${r.threads === 1 ? '' : 's'})` : `engine (TF.js ${r.version}, ${r.provider})`;
}

/** One line per run, runtime and batch, for the runs that have a timing. */
export function timingLines(rows: readonly Pick<CompareRow, 'id' | 'name' | 'timing'>[], referenceId: string): TimingLine[] {
  const ref = rows.find((r) => r.id === referenceId)?.timing ?? null;
  const refMedian = (runtime: string, batch: number) => {
    const rt = ref ? runtimes(ref).find((r) => r.runtime === runtime) : undefined;
    return rt?.batches.find((b) => b.batch === batch)?.msPerImage.median ?? null;
  };
  return rows.flatMap((row) =>
    row.timing
      ? runtimes(row.timing).flatMap((rt) =>
          rt.batches.map((b) => {
            const base = refMedian(rt.runtime, b.batch);
            return {
              id: row.id,
              name: row.name,
              runtime: runtimeLabel(rt),
              batch: b.batch,
              median: b.msPerImage.median,
              min: b.msPerImage.min,
              max: b.msPerImage.max,
              stable: b.stable,
              speedup: row.id === referenceId || base === null ? null : base / b.msPerImage.median,
            };
          }),
        )
      : [],
  );
}

/** Markdown of timingLines (empty when no run was timed). */
export function timingMarkdown(lines: readonly TimingLine[], cell: (s: string) => string): string[] {
  if (!lines.length) return [];
  const out = ['| model | runtime | batch | ms/image, median | min – max | speed-up vs reference |', '| :-- | :-- | --: | --: | --: | --: |'];
  for (const l of lines) {
    const spread = `${l.min.toFixed(3)} – ${l.max.toFixed(3)}${l.stable ? '' : ' (warm-up unsettled)'}`;
    out.push(`| ${cell(l.name)} | ${cell(l.runtime)} | ${l.batch} | ${l.median.toFixed(3)} | ${spread} | ${l.speedup === null ? '—' : `${l.speedup.toFixed(2)}x`} |`);
  }
  return out;
}
