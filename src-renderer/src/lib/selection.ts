/** How a run chose its swaps, as text for run cards and reports (pure, so tests can call it). */
import { BLOCKS, BUDGET_UNIT, SELECT_ON_LABEL, type BudgetConfig, type FinalMetrics, type RunConfig, type SelectOn } from '@contract';

const label = (b: string) => BLOCKS.find((x) => x.name === b)?.label ?? b;
const points = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)} pts`);

/** The validation split, or "none (study protocol)" for runs stored before splits existed. */
export function validationText(c: Pick<RunConfig, 'validation'>, final?: FinalMetrics | null): string {
  const v = c.validation;
  if (!v || v.fraction === 0) return 'none (study protocol: choices made on the test set)';
  const n = final?.valImages ? `, ${final.valImages} images` : '';
  return `${(v.fraction * 100).toFixed(0)}% of training images per class, seed ${v.seed}${n}${v.note ? ` — note: ${v.note}` : ''}`;
}

/** Per-block depth multipliers that differ from the shared one, e.g. "conv2_1: 2, conv4_3: 4". */
export function blockRanksText(m: { blockRanks?: Record<string, number> }): string | null {
  const e = Object.entries(m.blockRanks ?? {});
  return e.length ? e.map(([b, r]) => `${label(b)}: ${r}`).join(', ') : null;
}

/** Where greedy keeps its swaps: validation, or the test set as the study did (labelled). */
export function selectOnText(c: { greedy: { selectOn?: SelectOn } }): string {
  return SELECT_ON_LABEL[c.greedy.selectOn ?? 'test'];
}

/** A budget run's target, choice, and its predicted drop next to the measured ones. */
export function budgetText(c: { budget?: BudgetConfig }, final?: FinalMetrics | null): string | null {
  const b = c.budget;
  if (!b) return null;
  const amount = b.kind === 'ms' ? b.value.toFixed(4) : b.value.toLocaleString('en-US');
  const target = b.unit === 'percent' ? `${b.value}% of the classical ${BUDGET_UNIT[b.kind]}` : `${amount} ${BUDGET_UNIT[b.kind]}`;
  const p = b.plan;
  if (!p) return `${target} (not planned yet)`;
  const out = final?.budget;
  const measured = out ? `; measured after SVD + BN ${points(out.zeroShotDrop)}, after distillation ${points(out.finalDrop)}` : '';
  const time = b.kind === 'ms' ? `; predicted ${p.cost.toFixed(4)} of the classical ${p.classicalCost.toFixed(4)} ms/image` : '';
  return `${target}: ${Object.keys(p.ranks).length} blocks (${Object.entries(p.ranks).map(([k, r]) => `${label(k)}:${r}`).join(', ') || 'none'}); predicted ${p.evaluatedOn} drop ${points(p.predictedDrop)}${time}${measured}`;
}
