/**
 * The launcher's form as data: a draft with every nested object present (so inputs can bind to
 * it), its conversion to RunConfigInput, and validation with RunConfigSchema from api.ts, with each
 * issue keyed by its dotted path ("data.path") so the form can show it next to its field.
 */
import {
  DEFAULT_DISTILL,
  DEFAULT_GREEDY,
  DEFAULT_SWAP,
  DEFAULT_VALIDATION,
  DEFAULTS,
  issueField,
  OPTIMISER_PRESETS,
  PROTOCOL_RULES,
  RunConfigSchema,
  startingSwapped,
  type DistillSettings,
  type GreedySettings,
  type IssueLocation,
  type OptimiserConfig,
  type ProtocolKind,
  type ProtocolRule,
  type RunConfig,
  type RunConfigInput,
  type SwapSpec,
  type BudgetKind,
  type SelectOn,
} from '@contract';

export interface RunDraft {
  name: string;
  protocol: ProtocolKind;
  baselineRunId: string;
  /** Baseline only: a model folder (model.json + shards) to start from; '' = random weights. */
  initFrom: string;
  model: { widthDivisor: number; swapped: string[]; swap: SwapSpec; blockRanks: Record<string, number> };
  /** Validation split of a run that starts from scratch (a run from a baseline uses the baseline's). */
  validationFraction: number;
  sensitivity: { ranks: number[]; evaluateOn: SelectOn };
  /** Ours only: choose blocks and r from a sensitivity run to meet a target. */
  budget: { enabled: boolean; sensitivityRunId: string; kind: BudgetKind; value: number; unit: 'absolute' | 'percent' };
  data: { path: string; trainPerClass: number; testPerClass: number; augment: boolean };
  optimiser: OptimiserConfig;
  epochs: number;
  batchSize: number;
  seed: number;
  backend: RunConfig['backend'];
  greedy: GreedySettings;
  distill: DistillSettings;
  inferenceBatch: number;
}

export type { OptimiserPreset } from '@contract';

/** The protocol's rule (from the contract) and how the form presents it. */
export interface ProtocolInfo extends ProtocolRule {
  title: string;
  /** For tables. */
  short: string;
  summary: string;
  epochsLabel: string;
}

export const PROTOCOL_INFO: Record<ProtocolKind, ProtocolInfo> = {
  baseline: {
    ...PROTOCOL_RULES.baseline,
    title: 'Baseline',
    short: 'Baseline',
    summary: 'Train the classical ResNet-50 on CIFAR-10: the reference every swap is measured against.',
    epochsLabel: 'Training epochs',
  },
  greedy: {
    ...PROTOCOL_RULES.greedy,
    title: 'Greedy (the study)',
    short: 'Greedy',
    summary:
      'Swap blocks top to bottom, then bottom to top; keep a swap only if test accuracy stays at or above the threshold.',
    epochsLabel: 'Epochs',
  },
  ours: {
    ...PROTOCOL_RULES.ours,
    title: 'Ours',
    short: 'Ours',
    summary:
      'Swap all 16 blocks at once, SVD-initialised from the baseline’s 3×3 kernels, then fine-tune with distillation.',
    epochsLabel: 'Fine-tuning epochs',
  },
  manual: {
    ...PROTOCOL_RULES.manual,
    title: 'Manual',
    short: 'Manual',
    summary: 'Swap the blocks you pick, then fine-tune from the baseline (or train from scratch without one).',
    epochsLabel: 'Fine-tuning epochs',
  },
  control: {
    ...PROTOCOL_RULES.control,
    title: 'Control',
    short: 'Control',
    summary: 'Fine-tune the baseline for the same epochs with no swap, to separate extra training from the swap.',
    epochsLabel: 'Fine-tuning epochs',
  },
  sensitivity: {
    ...PROTOCOL_RULES.sensitivity,
    title: 'Sensitivity',
    short: 'Sensitivity',
    summary:
      'Swap each block alone at each depth multiplier (SVD init + BatchNorm re-estimation, no training) and record the validation accuracy it keeps: the table budgets choose from.',
    epochsLabel: 'Epochs (none: no training)',
  },
};

export interface DraftDefaults {
  dataPath?: string;
  backend?: RunConfig['backend'];
  widthDivisor?: number;
  swapped?: string[];
  swap?: SwapSpec;
}

export function defaultDraft(d: DraftDefaults = {}): RunDraft {
  return {
    name: '',
    protocol: 'baseline',
    baselineRunId: '',
    initFrom: '',
    model: {
      widthDivisor: d.widthDivisor ?? DEFAULTS.widthDivisor,
      swapped: [...(d.swapped ?? [])],
      swap: { ...(d.swap ?? DEFAULT_SWAP) },
      blockRanks: {},
    },
    validationFraction: DEFAULT_VALIDATION.fraction,
    sensitivity: { ranks: [1, 2, 4], evaluateOn: 'validation' },
    budget: { enabled: false, sensitivityRunId: '', kind: 'params', value: 70, unit: 'percent' },
    data: { path: d.dataPath ?? '', trainPerClass: 0, testPerClass: 0, augment: true },
    optimiser: { ...OPTIMISER_PRESETS.fast },
    epochs: DEFAULTS.epochs,
    batchSize: DEFAULTS.batchSize,
    seed: DEFAULTS.seed,
    backend: d.backend ?? 'auto',
    greedy: { ...DEFAULT_GREEDY, selectOn: 'validation' },
    distill: { ...DEFAULT_DISTILL },
    inferenceBatch: DEFAULTS.inferenceBatch,
  };
}

/** A draft prefilled from a past run's configuration (for "re-run"); other protocols' fields keep their defaults. */
export function draftFromConfig(c: RunConfig, name: string): RunDraft {
  const d = defaultDraft();
  return {
    ...d,
    name,
    protocol: c.protocol,
    baselineRunId: c.protocol !== 'baseline' ? (c.baselineRunId ?? '') : '',
    initFrom: c.protocol === 'baseline' ? (c.initFrom ?? '') : '',
    model: {
      widthDivisor: c.model.widthDivisor,
      swapped: c.protocol === 'manual' ? [...c.model.swapped] : [],
      swap: 'swap' in c.model ? { ...c.model.swap } : d.model.swap,
      blockRanks: 'blockRanks' in c.model ? { ...(c.model.blockRanks ?? {}) } : {},
    },
    validationFraction: c.validation?.fraction ?? 0,
    sensitivity: c.protocol === 'sensitivity' && c.sensitivity ? { ranks: [...c.sensitivity.ranks], evaluateOn: c.sensitivity.evaluateOn } : d.sensitivity,
    budget:
      c.protocol === 'ours' && c.budget
        ? { enabled: true, sensitivityRunId: c.budget.sensitivityRunId, kind: c.budget.kind, value: c.budget.value, unit: c.budget.unit }
        : d.budget,
    data: { ...c.data },
    optimiser: { ...c.optimiser },
    epochs: 'epochs' in c ? c.epochs : d.epochs,
    batchSize: c.batchSize,
    seed: c.seed,
    backend: c.backend,
    // A run stored before selectOn existed chose on test: a re-run does the same unless changed.
    greedy: c.protocol === 'greedy' ? { ...c.greedy, selectOn: c.greedy.selectOn ?? 'test' } : d.greedy,
    distill: c.protocol === 'ours' ? { ...c.distill } : d.distill,
    inferenceBatch: c.inferenceBatch,
  };
}

/** The blocks a run of this draft starts with swapped. */
export function swappedFor(d: RunDraft): string[] {
  return startingSwapped(d.protocol, d.model.swapped);
}

/** The draft as the protocol's configuration: only that protocol's fields. */
export function toConfigInput(d: RunDraft): RunConfigInput {
  const baselineRunId = d.baselineRunId || undefined;
  const { widthDivisor } = d.model;
  const swapped = swappedFor(d);
  const blockRanks = Object.fromEntries(Object.entries(d.model.blockRanks).filter(([b]) => swapped.includes(b)));
  const common = {
    name: d.name.trim(),
    // A run from a baseline uses the baseline's split (the host fills it in).
    ...(PROTOCOL_RULES[d.protocol].baseline !== 'none' && d.baselineRunId ? {} : { validation: { fraction: d.validationFraction, seed: 0 } }),
    data: { ...d.data, path: d.data.path.trim() },
    optimiser: { ...d.optimiser },
    batchSize: d.batchSize,
    seed: d.seed,
    backend: d.backend,
    inferenceBatch: d.inferenceBatch,
  };
  switch (d.protocol) {
    case 'baseline':
      return { ...common, protocol: 'baseline', model: { widthDivisor }, epochs: d.epochs, initFrom: d.initFrom.trim() || undefined };
    case 'greedy':
      return { ...common, protocol: 'greedy', model: { widthDivisor, swap: { ...d.model.swap } }, baselineRunId: baselineRunId as string, greedy: { ...d.greedy } };
    case 'ours': {
      const b = d.budget;
      const budget = b.enabled ? { budget: { sensitivityRunId: b.sensitivityRunId, kind: b.kind, value: b.value, unit: b.unit } } : {};
      return { ...common, protocol: 'ours', model: { widthDivisor, swap: { ...d.model.swap, init: 'svd' }, blockRanks }, baselineRunId: baselineRunId as string, epochs: d.epochs, distill: { ...d.distill }, ...budget };
    }
    case 'manual':
      return { ...common, protocol: 'manual', model: { widthDivisor, swapped, swap: { ...d.model.swap }, blockRanks }, baselineRunId, epochs: d.epochs };
    case 'control':
      return { ...common, protocol: 'control', model: { widthDivisor }, baselineRunId: baselineRunId as string, epochs: d.epochs };
    case 'sensitivity':
      return {
        ...common,
        protocol: 'sensitivity',
        model: { widthDivisor, swap: { ...d.model.swap } },
        baselineRunId: baselineRunId as string,
        sensitivity: { ranks: [...d.sensitivity.ranks], evaluateOn: d.sensitivity.evaluateOn, bnRecalibrationBatches: 10 },
      };
  }
}

/** The subset of a zod issue this module reads. */
export interface IssueLike extends IssueLocation {
  message: string;
  expected?: unknown;
}

/** Zod issues -> { "data.path": "message" }, first issue per field; friendlier type errors. */
export function issuesToFieldErrors(issues: readonly IssueLike[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = issueField(i) || '_form';
    if (key in out) continue;
    out[key] = i.code === 'invalid_type' && i.expected === 'number' ? 'enter a number' : i.message;
  }
  return out;
}

/** The message for `field`, or for any of its sub-paths ("model.swapped.3" for "model.swapped"). */
export function fieldError(errors: Record<string, string>, field: string): string | null {
  if (errors[field]) return errors[field];
  const sub = Object.keys(errors).find((k) => k.startsWith(`${field}.`));
  return sub ? errors[sub] : null;
}

export interface DraftValidation {
  config: RunConfig | null;
  input: RunConfigInput;
  errors: Record<string, string>;
}

/** RunConfigSchema.safeParse, each issue keyed by its field (the union's rules are the schema's). */
export function validateDraft(d: RunDraft): DraftValidation {
  const input = toConfigInput(d);
  const parsed = RunConfigSchema.safeParse(input);
  const errors = parsed.success ? {} : issuesToFieldErrors(parsed.error.issues);
  if (errors.baselineRunId && !d.baselineRunId) {
    errors.baselineRunId = `pick the trained baseline run the ${d.protocol} protocol starts from`;
  }
  if (d.protocol === 'ours' && d.budget.enabled && !d.budget.sensitivityRunId) {
    errors['budget.sensitivityRunId'] = 'pick a finished sensitivity run from the same baseline';
  }
  const ok = parsed.success && Object.keys(errors).length === 0;
  return { config: ok ? parsed.data : null, input, errors };
}

/** Human names of the form's fields, for the list of problems next to the Start button. */
export const FIELD_LABELS: Record<string, string> = {
  name: 'Run name',
  protocol: 'Protocol',
  baselineRunId: 'Baseline run',
  initFrom: 'Start from model folder',
  'data.path': 'Dataset path',
  'data.trainPerClass': 'Train images per class',
  'data.testPerClass': 'Test images per class',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  seed: 'Seed',
  backend: 'Backend',
  'model.widthDivisor': 'Width divisor',
  'model.swapped': 'Blocks to swap',
  'model.swap.depthMultiplier': 'Depth multiplier',
  'model.swap.init': 'Initialisation',
  'optimiser.learningRate': 'Learning rate',
  'optimiser.momentum': 'Momentum',
  'optimiser.warmupEpochs': 'Warm-up epochs',
  'optimiser.schedule': 'Schedule',
  'greedy.threshold': 'Threshold',
  'greedy.fineTuneEpochs': 'Fine-tune epochs per step',
  'distill.temperature': 'Distillation temperature',
  'distill.alpha': 'Distillation alpha',
  'distill.bnRecalibrationBatches': 'BN recalibration batches',
  inferenceBatch: 'Inference batch',
  validation: 'Validation split',
  'model.blockRanks': 'Per-block depth multipliers',
  'sensitivity.ranks': 'Sensitivity depth multipliers',
  budget: 'Budget',
  'budget.value': 'Budget',
  'budget.kind': 'Budget on',
  'budget.sensitivityRunId': 'Sensitivity run',
};

/** "model.swapped.3" -> "Blocks to swap"; unknown paths are shown as they are. */
export function fieldLabel(path: string): string {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const label = FIELD_LABELS[parts.slice(0, n).join('.')];
    if (label) return label;
  }
  return path;
}
