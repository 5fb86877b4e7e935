/**
 * Issue 12's defaults and checks, resolved once at the boundary before a run is stored: the
 * validation split (a run from a baseline shares the baseline's, so its validation images were
 * never trained on), greedy's selection set, the sensitivity settings, and a budget's plan (the
 * knapsack's choice, which then decides the blocks and depth multipliers ours swaps).
 */
import { BLOCKS, DEFAULT_VALIDATION, SensitivityConfigSchema, type RunConfig, type RunConfigInput, type RunRecord, type SensitivityResult } from '../contract';
import { BudgetError, maxRank, planBudget } from '../engine';
import { HostError } from './errors';

export function resolveSelection(config: RunConfig, baseline: RunRecord | null, input: RunConfigInput, sensitivityOf: (id: string) => SensitivityResult): void {
  config.validation = validationFor(config, baseline, input);
  if (config.protocol === 'greedy') config.greedy = { ...config.greedy, selectOn: config.greedy.selectOn ?? 'validation' };
  if (config.protocol === 'sensitivity') {
    config.sensitivity = config.sensitivity ?? SensitivityConfigSchema.parse({});
    checkRanks(config.sensitivity.ranks, config.model.widthDivisor);
  }
  if (config.protocol === 'ours' && config.budget) {
    try {
      config.budget = { ...config.budget, plan: planBudget(sensitivityOf(config.budget.sensitivityRunId), config.budget) };
    } catch (e) {
      if (e instanceof BudgetError) throw new HostError('bad-input', e.message, e.field);
      throw e;
    }
  }
}

function validationFor(config: RunConfig, baseline: RunRecord | null, input: RunConfigInput): NonNullable<RunConfig['validation']> {
  const given = (input as { validation?: unknown } | null)?.validation !== undefined ? config.validation : undefined;
  const inherited = baseline?.config.validation;
  if (!baseline) {
    const split = given ?? DEFAULT_VALIDATION;
    if (!(config.protocol === 'baseline' && config.initFrom) || split.fraction === 0) return split;
    return { ...split, note: 'the imported model may have been trained on these images (the workbench cannot know); they are not held out from it' };
  }
  if (inherited && inherited.fraction > 0) {
    if (given && (given.fraction !== inherited.fraction || given.seed !== inherited.seed)) {
      throw new HostError('bad-input', `the validation split must be the baseline's (fraction ${inherited.fraction}, seed ${inherited.seed}), or its images were trained on; leave it out to inherit it`, 'validation');
    }
    if (config.data.trainPerClass !== baseline.config.data.trainPerClass) {
      throw new HostError('bad-input', `train images per class must be the baseline's (${baseline.config.data.trainPerClass || 'all'}) so the validation split is the same images; set it to that`, 'data.trainPerClass');
    }
    return inherited;
  }
  const split = given ?? DEFAULT_VALIDATION;
  if (split.fraction === 0) return split;
  return { ...split, note: `baseline '${baseline.name}' was trained on all its training images, so this split is not held out from it` };
}

/** A depth multiplier no block can use (r > min(9, N) everywhere) is refused; others are skipped per block. */
function checkRanks(ranks: readonly number[], widthDivisor: number): void {
  const widest = Math.max(...BLOCKS.map((b) => maxRank(b.baseWidth, widthDivisor)));
  const bad = ranks.filter((r) => r > widest);
  if (bad.length) {
    throw new HostError('bad-input', `depth multiplier ${bad.join(', ')} fits no block: r <= min(9, N) = ${widest} at most at width 1/${widthDivisor}; use ranks 1 to ${widest}`, 'sensitivity.ranks');
  }
}
