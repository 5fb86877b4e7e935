/**
 * From a target (parameters, MiB, MACs or inference time in ONNX Runtime; absolute or % of the
 * classical model) and a sensitivity
 * table to the blocks and per-block depth multipliers that meet it with the least predicted
 * accuracy loss (the sum of the chosen swaps' measured drops).
 */
import { BLOCKS, BUDGET_UNIT, type BudgetConfig, type BudgetKind, type BudgetPlan, type SensitivityResult, type SensitivityRow } from '../../contract';
import { chooseSwaps, type KnapsackItem } from './knapsack';

/** A budget that no choice of swaps can meet; the message names the reachable range. */
export class BudgetError extends Error {
  override name = 'BudgetError';
  readonly code = 'bad-input';
  /** The budget field to fix: the value (out of range) or the kind (no latency table for `ms`). */
  constructor(
    message: string,
    readonly field: 'budget.value' | 'budget.kind' = 'budget.value',
  ) {
    super(message);
  }
}

const savedOf: Record<BudgetKind, (r: SensitivityRow) => number> = {
  params: (r) => r.paramsSaved,
  mib: (r) => r.mibSaved,
  macs: (r) => r.costSaved,
  ms: (r) => r.msSaved ?? Number.NaN,
};

function classicalOf(t: SensitivityResult, kind: BudgetKind): number {
  if (kind === 'ms') {
    if (!t.latency || t.classical.ms == null) {
      throw new BudgetError(`this sensitivity run has no ONNX Runtime latency table (${t.latencyNote ?? 'it was measured before inference-time budgets existed'}), so an inference-time budget cannot be planned from it; budget parameters, MiB or MACs, or run the sensitivity analysis again where ONNX Runtime loads`, 'budget.kind');
    }
    return t.classical.ms;
  }
  return kind === 'params' ? t.classical.params : kind === 'mib' ? t.classical.mib : t.classical.cost;
}

function knapsackItems(t: SensitivityResult, kind: BudgetKind): KnapsackItem[] {
  return BLOCKS.map((b) => ({
    block: b.name,
    options: t.rows.filter((row) => row.block === b.name).map((row) => ({ r: row.r, saved: savedOf[kind](row), drop: row.drop })),
  }));
}

function show(kind: BudgetKind, v: number): string {
  if (kind === 'mib') return `${v.toFixed(3)} MiB`;
  if (kind === 'ms') return `${v.toFixed(4)} ms/image`;
  return `${Math.round(v).toLocaleString('en-US')} ${BUDGET_UNIT[kind]}`;
}

/** The reachable range of the model's cost: [all swaps at their largest saving, the classical model]. */
export function reachableRange(t: SensitivityResult, kind: BudgetKind): { min: number; max: number } {
  const classical = classicalOf(t, kind);
  const best = knapsackItems(t, kind).reduce((s, it) => s + Math.max(0, ...it.options.map((o) => o.saved)), 0);
  return { min: classical - best, max: classical };
}

export function planBudget(t: SensitivityResult, budget: BudgetConfig): BudgetPlan {
  const kind = budget.kind;
  const classical = classicalOf(t, kind);
  const target = budget.unit === 'percent' ? (classical * budget.value) / 100 : budget.value;
  const range = reachableRange(t, kind);
  const reach = `reachable with this sensitivity table: ${show(kind, range.min)} (${((range.min / classical) * 100).toFixed(1)}%) to ${show(kind, range.max)} (100%, the classical model)`;
  if (target > classical) throw new BudgetError(`a budget of ${show(kind, target)} is above the classical model's ${show(kind, classical)}; ${reach}`);
  const choice = chooseSwaps(knapsackItems(t, kind), classical - target);
  if (!choice) throw new BudgetError(`a budget of ${show(kind, target)} cannot be met even with every swap; ${reach}`);
  return {
    ranks: choice.ranks,
    predictedDrop: choice.drop,
    cost: classical - choice.saved,
    classicalCost: classical,
    target,
    baselineAcc: t.baselineAcc,
    evaluatedOn: t.evaluatedOn,
  };
}
