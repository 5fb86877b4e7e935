/**
 * The launcher's form as data: a draft with every nested object present (so inputs can bind to
 * it), its conversion to RunConfigInput, and validation with RunConfigSchema from api.ts, with each
 * issue keyed by its dotted path ("data.path") so the form can show it next to its field.
 */
import {
  BLOCK_NAMES,
  RunConfigSchema,
  type OptimiserConfig,
  type ProtocolKind,
  type RunConfig,
  type RunConfigInput,
  type SwapSpec,
} from '../../../src-main/api';

export interface RunDraft {
  name: string;
  protocol: ProtocolKind;
  baselineRunId: string;
  /** Baseline only: a model folder (model.json + shards) to start from; '' = random weights. */
  initFrom: string;
  model: { widthDivisor: number; swapped: string[]; swap: SwapSpec };
  data: { path: string; trainPerClass: number; testPerClass: number; augment: boolean };
  optimiser: OptimiserConfig;
  epochs: number;
  batchSize: number;
  seed: number;
  backend: RunConfig['backend'];
  greedy: RunConfig['greedy'];
  distill: RunConfig['distill'];
  inferenceBatch: number;
}

export type OptimiserPreset = OptimiserConfig['preset'];

export const OPTIMISER_PRESET_VALUES: Record<Exclude<OptimiserPreset, 'custom'>, OptimiserConfig> = {
  study: { preset: 'study', name: 'rmsprop', learningRate: 1e-5, centered: true, momentum: 0, warmupEpochs: 0 },
  fast: { preset: 'fast', name: 'adam', learningRate: 1e-3, centered: false, momentum: 0, warmupEpochs: 1 },
};

export interface ProtocolInfo {
  title: string;
  /** For tables. */
  short: string;
  summary: string;
  baseline: 'required' | 'optional' | 'none';
  /** Which blocks the run swaps: none, all 16, the user's selection, or decided by the greedy search. */
  swaps: 'none' | 'all' | 'selection' | 'greedy';
  epochsLabel: string;
}

export const PROTOCOL_INFO: Record<ProtocolKind, ProtocolInfo> = {
  baseline: {
    title: 'Baseline',
    short: 'Baseline',
    summary: 'Train the classical ResNet-50 on CIFAR-10: the reference every swap is measured against.',
    baseline: 'none',
    swaps: 'none',
    epochsLabel: 'Training epochs',
  },
  greedy: {
    title: 'Greedy (the study)',
    short: 'Greedy',
    summary:
      'Swap blocks top to bottom, then bottom to top; keep a swap only if test accuracy stays at or above the threshold.',
    baseline: 'required',
    swaps: 'greedy',
    epochsLabel: 'Epochs',
  },
  ours: {
    title: 'Ours',
    short: 'Ours',
    summary:
      'Swap all 16 blocks at once, SVD-initialised from the baseline’s 3×3 kernels, then fine-tune with distillation.',
    baseline: 'required',
    swaps: 'all',
    epochsLabel: 'Fine-tuning epochs',
  },
  manual: {
    title: 'Manual',
    short: 'Manual',
    summary: 'Swap the blocks you pick, then fine-tune from the baseline (or train from scratch without one).',
    baseline: 'optional',
    swaps: 'selection',
    epochsLabel: 'Fine-tuning epochs',
  },
  control: {
    title: 'Control',
    short: 'Control',
    summary: 'Fine-tune the baseline for the same epochs with no swap, to separate extra training from the swap.',
    baseline: 'required',
    swaps: 'none',
    epochsLabel: 'Fine-tuning epochs',
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
      widthDivisor: d.widthDivisor ?? 1,
      swapped: [...(d.swapped ?? [])],
      swap: { ...(d.swap ?? { depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false }) },
    },
    data: { path: d.dataPath ?? '', trainPerClass: 0, testPerClass: 0, augment: true },
    optimiser: { ...OPTIMISER_PRESET_VALUES.fast },
    epochs: 10,
    batchSize: 64,
    seed: 42,
    backend: d.backend ?? 'auto',
    greedy: { threshold: 0.7, thresholdMode: 'absolute', fineTuneEpochs: 1, secondPass: true },
    distill: { temperature: 4, alpha: 0.9, bnRecalibrationBatches: 20 },
    inferenceBatch: 256,
  };
}

/** A draft prefilled from a past run's configuration (for "re-run"). */
export function draftFromConfig(c: RunConfig, name: string): RunDraft {
  return {
    name,
    protocol: c.protocol,
    baselineRunId: c.baselineRunId ?? '',
    initFrom: c.initFrom ?? '',
    model: { widthDivisor: c.model.widthDivisor, swapped: [...c.model.swapped], swap: { ...c.model.swap } },
    data: { ...c.data },
    optimiser: { ...c.optimiser },
    epochs: c.epochs,
    batchSize: c.batchSize,
    seed: c.seed,
    backend: c.backend,
    greedy: { ...c.greedy },
    distill: { ...c.distill },
    inferenceBatch: c.inferenceBatch,
  };
}

/** The blocks a run of this draft starts with swapped. */
export function swappedFor(d: RunDraft): string[] {
  const mode = PROTOCOL_INFO[d.protocol].swaps;
  if (mode === 'all') return [...BLOCK_NAMES];
  if (mode === 'selection') return BLOCK_NAMES.filter((b) => d.model.swapped.includes(b));
  return [];
}

export function toConfigInput(d: RunDraft): RunConfigInput {
  const swap = d.protocol === 'ours' ? { ...d.model.swap, init: 'svd' as const } : { ...d.model.swap };
  const usesBaseline = PROTOCOL_INFO[d.protocol].baseline !== 'none';
  const initFrom = d.protocol === 'baseline' ? d.initFrom.trim() : '';
  return {
    name: d.name.trim(),
    protocol: d.protocol,
    model: { widthDivisor: d.model.widthDivisor, swapped: swappedFor(d), swap },
    data: { ...d.data, path: d.data.path.trim() },
    optimiser: { ...d.optimiser },
    epochs: d.epochs,
    batchSize: d.batchSize,
    seed: d.seed,
    backend: d.backend,
    baselineRunId: usesBaseline && d.baselineRunId ? d.baselineRunId : undefined,
    initFrom: initFrom || undefined,
    greedy: { ...d.greedy },
    distill: { ...d.distill },
    inferenceBatch: d.inferenceBatch,
  };
}

/** The subset of a zod issue this module reads. */
export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  expected?: unknown;
}

/** Zod issues -> { "data.path": "message" }, first issue per field; friendlier type errors. */
export function issuesToFieldErrors(issues: readonly IssueLike[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = i.path.map(String).join('.') || '_form';
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

/** RunConfigSchema.safeParse plus the rules the schema cannot see (a baseline run, a non-empty swap). */
export function validateDraft(d: RunDraft): DraftValidation {
  const input = toConfigInput(d);
  const parsed = RunConfigSchema.safeParse(input);
  const errors = parsed.success ? {} : issuesToFieldErrors(parsed.error.issues);
  const info = PROTOCOL_INFO[d.protocol];
  if (info.baseline === 'required' && !d.baselineRunId) {
    errors.baselineRunId = `pick the trained baseline run the ${d.protocol} protocol starts from`;
  }
  if (info.swaps === 'selection' && swappedFor(d).length === 0) {
    errors['model.swapped'] = 'pick at least one block to swap (click blocks below or in Architecture)';
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
  'greedy.threshold': 'Threshold',
  'greedy.fineTuneEpochs': 'Fine-tune epochs per step',
  'distill.temperature': 'Distillation temperature',
  'distill.alpha': 'Distillation alpha',
  'distill.bnRecalibrationBatches': 'BN recalibration batches',
  inferenceBatch: 'Inference batch',
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
