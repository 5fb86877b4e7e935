/**
 * Comparing runs (pure): the study's final table with differences against a reference run, the
 * per-block table of the greedy protocol, and the training curves.
 */
import { BLOCKS, normaliseBlockName } from '../contract';
import type { CompareRow, Comparison, EpochMetrics, RunRecord } from '../contract';
import { StoreError } from './errors';
import { timingLines, timingMarkdown } from '../contract';

type BlockState = Comparison['blocks'][number]['runs'][string];

/** (value - ref) / ref * 100; null when either is missing or the reference is 0. */
export function percentDiff(value: number | null, ref: number | null): number | null {
  if (value === null || ref === null || ref === 0 || !Number.isFinite(value) || !Number.isFinite(ref)) return null;
  return ((value - ref) / ref) * 100;
}

/** Compares `runs` against `referenceId` (default: the first run). */
export function buildComparison(runs: readonly RunRecord[], referenceId?: string): Comparison {
  const unique = runs.filter((r, i) => runs.findIndex((o) => o.id === r.id) === i);
  if (unique.length === 0) throw new StoreError('bad-input', 'nothing to compare; choose at least one run');
  const ref = referenceId === undefined ? unique[0] : unique.find((r) => r.id === referenceId);
  if (!ref) {
    throw new StoreError(
      'not-found',
      `the reference run ${referenceId} is not among the compared runs; add it or pick another reference`,
    );
  }
  const refRow = valuesOf(ref);
  return {
    referenceId: ref.id,
    rows: unique.map((r) => withDiff(valuesOf(r), refRow)),
    blocks: BLOCKS.map((b) => ({
      name: b.name,
      label: b.label,
      runs: Object.fromEntries(unique.map((r) => [r.id, blockState(r, b.name)])),
    })),
    curves: Object.fromEntries(unique.map((r): [string, EpochMetrics[]] => [r.id, r.epochs])),
  };
}

function valuesOf(r: RunRecord): Omit<CompareRow, 'diff'> {
  const f = r.final;
  return {
    id: r.id,
    name: r.name,
    protocol: r.protocol,
    trainAcc: f?.trainAcc ?? null,
    testAcc: f?.testAcc ?? null,
    inferenceSeconds: f?.inferenceSeconds ?? null,
    paramsM: f ? f.params / 1e6 : null,
    weightsMiB: f?.weightsMiB ?? null,
    blocksSwapped: f?.blocksSwapped ?? r.swapped.length,
    timing: f?.timing ?? null,
    valAcc: f?.valAcc ?? null,
    macsM: f?.macs === undefined ? null : f.macs / 1e6,
  };
}

function withDiff(row: Omit<CompareRow, 'diff'>, ref: Omit<CompareRow, 'diff'>): CompareRow {
  return {
    ...row,
    diff: {
      trainAcc: percentDiff(row.trainAcc, ref.trainAcc),
      testAcc: percentDiff(row.testAcc, ref.testAcc),
      inferenceSeconds: percentDiff(row.inferenceSeconds, ref.inferenceSeconds),
      params: percentDiff(row.paramsM, ref.paramsM),
      weightsMiB: percentDiff(row.weightsMiB, ref.weightsMiB),
    },
  };
}

/** The block's state in a run; for a greedy run, from the LAST greedy record of that block. */
function blockState(r: RunRecord, block: string): BlockState {
  const swapped = r.swapped.some((s) => normaliseBlockName(s) === block);
  for (let i = r.greedy.length - 1; i >= 0; i--) {
    const g = r.greedy[i];
    if (normaliseBlockName(g.block) === block) return { swapped, testAcc: g.testAcc, kept: g.kept, pass: g.pass };
  }
  return { swapped, testAcc: null, kept: null, pass: null };
}

// ---------------------------------------------------------------------------------------------
// Markdown, as the study's README lays it out.
// ---------------------------------------------------------------------------------------------

const DASH = '—';

function fixed(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? DASH : v.toFixed(digits);
}

function percent(v: number | null): string {
  if (v === null) return DASH;
  const r = Math.abs(v) < 0.005 ? 0 : v;
  return `${r > 0 ? '+' : ''}${r.toFixed(2)}%`;
}

function cell(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
}

function line(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * The time column: when every run was timed under the protocol, ONNX Runtime's median ms per image
 * at the largest batch timed; otherwise the engine's one pass over the test set (the study's column),
 * which depends on which model a process times first and is labelled as such below the table.
 */
function timeColumn(c: Comparison): { header: string; value: (r: CompareRow) => number | null; diff: (r: CompareRow) => number | null } {
  const batchOf = (r: CompareRow) => r.timing?.onnxruntime.batches.at(-1);
  const batch = batchOf(c.rows[0])?.batch;
  if (batch !== undefined && c.rows.every((r) => batchOf(r)?.batch === batch)) {
    const ms = (r: CompareRow) => batchOf(r)!.msPerImage.median;
    const ref = c.rows.find((r) => r.id === c.referenceId)!;
    return { header: `ORT ms/image (batch ${batch})`, value: ms, diff: (r) => (ms(ref) > 0 ? ((ms(r) - ms(ref)) / ms(ref)) * 100 : null) };
  }
  return { header: 'time, s', value: (r) => r.inferenceSeconds, diff: (r) => r.diff.inferenceSeconds };
}

function mainTable(c: Comparison): string[] {
  const ref = c.rows.find((r) => r.id === c.referenceId)!;
  const time = timeColumn(c);
  const out = [
    line(['model', 'train acc', 'test acc', time.header, 'params, M', 'weight, MiB']),
    line([':--', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const r of c.rows) {
    out.push(
      line([
        cell(r.name),
        fixed(r.trainAcc, 4),
        fixed(r.testAcc, 4),
        fixed(time.value(r), time.header === 'time, s' ? 2 : 3),
        fixed(r.paramsM, 2),
        fixed(r.weightsMiB, 2),
      ]),
    );
  }
  for (const r of c.rows.filter((row) => row.id !== c.referenceId)) {
    const d = r.diff;
    const label = cell(`difference, ${r.name} vs ${ref.name}`);
    out.push(
      line([
        label,
        percent(d.trainAcc),
        percent(d.testAcc),
        percent(time.diff(r)),
        percent(d.params),
        percent(d.weightsMiB),
      ]),
    );
  }
  return out;
}

function blockCells(s: BlockState | undefined): [string, string] {
  if (!s) return [DASH, DASH];
  const acc = s.testAcc === null ? DASH : `${fixed(s.testAcc, 4)}${s.pass === 2 ? ' (pass 2)' : ''}`;
  const kept = s.kept === null ? (s.swapped ? 'swapped' : DASH) : s.kept ? 'yes' : 'no';
  return [acc, kept];
}

function blockTable(c: Comparison): string[] {
  const header = ['block', ...c.rows.flatMap((r) => [cell(`${r.name}: test acc`), cell(`${r.name}: kept`)])];
  const out = [line(header), line([':--', ...c.rows.flatMap(() => ['--:', ':-:'])])];
  for (const b of c.blocks) out.push(line([b.label, ...c.rows.flatMap((r) => blockCells(b.runs[r.id]))]));
  return out;
}

/**
 * The study's final table (one row per run, then a difference row per non-reference run, in
 * percent against the reference), the inference-timing table when the runs were timed
 * (timeInference), and the per-block table. `runs` supplies names for ids the
 * comparison does not name (a run renamed since); the comparison's own names are used otherwise.
 */
export function comparisonMarkdown(c: Comparison, runs: readonly Pick<RunRecord, 'id' | 'name'>[] = []): string {
  const names = new Map(runs.map((r) => [r.id, r.name]));
  const named: Comparison = { ...c, rows: c.rows.map((r) => ({ ...r, name: names.get(r.id) ?? r.name })) };
  const timing = timingMarkdown(timingLines(named.rows, named.referenceId), cell);
  return [...mainTable(named), '', ...(timing.length ? [...timing, ''] : []), ...blockTable(named), ''].join('\n');
}
