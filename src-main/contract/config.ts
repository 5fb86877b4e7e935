/**
 * The run configuration: a run is data (one serialisable object), a discriminated union on
 * `protocol` in which each protocol carries only its own fields. Zod schemas (parsing, defaults,
 * one-line messages) and the one place for the defaults and the optimiser presets.
 */
import { z } from 'zod';
import { normaliseBlockName } from './blocks';
import { PROTOCOLS, startingSwapped, type ProtocolKind } from './protocols';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const blockName = z.string().refine((s) => normaliseBlockName(s) !== null, {
  message: `unknown block name; use one of conv2_1 ... conv5_3 (or Keras names like conv2_block1)`,
});
const blockList = z.array(blockName).transform((a) => a.map((s) => normaliseBlockName(s)!));

// ---------------------------------------------------------------------------------------------
// Defaults and presets: the one source the schemas, the launcher form and the CLI read.
// ---------------------------------------------------------------------------------------------

export const DEFAULT_SWAP = { depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false } as const;
export const DEFAULT_GREEDY = { threshold: 0.7, thresholdMode: 'absolute', fineTuneEpochs: 1, secondPass: true } as const;
export const DEFAULT_DISTILL = { temperature: 4, alpha: 0.9, bnRecalibrationBatches: 20 } as const;
/** What the launcher form starts from (the schema requires epochs and batch size). */
export const DEFAULTS = { epochs: 10, batchSize: 64, seed: 42, inferenceBatch: 256, widthDivisor: 1 } as const;

export const SwapSpecSchema = z.object({
  /** Depthwise channel multiplier r; the 1x1 conv then has M*r inputs. */
  depthMultiplier: z.number().int('depth multiplier must be a whole number, e.g. 1').min(1, 'depth multiplier must be at least 1').max(64, 'depth multiplier must be at most 64 (1 to 9 suits a 3x3 kernel)').default(DEFAULT_SWAP.depthMultiplier),
  /** `svd`: factorise the trained 3x3 kernel; `random`: fresh initialisation as the study did. */
  init: z.enum(['svd', 'random']).default(DEFAULT_SWAP.init),
  /** MobileNet variant: BatchNormalization between the depthwise and the 1x1 conv. */
  bnBetween: z.boolean().default(DEFAULT_SWAP.bnBetween),
  /** ReLU after that BatchNormalization (breaks the exact factorisation). */
  reluBetween: z.boolean().default(DEFAULT_SWAP.reluBetween),
});
export type SwapSpec = z.infer<typeof SwapSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Choosing swaps without the test set (issue 12): validation split, per-block ranks, sensitivity,
// budgets.
// ---------------------------------------------------------------------------------------------

const rank = z.number().int('depth multiplier must be a whole number, e.g. 1').min(1, 'depth multiplier must be at least 1').max(64, 'depth multiplier must be at most 64 (1 to 9 suits a 3x3 kernel)');

/** Depth multiplier r per block (Keras names), e.g. { conv2_block1: 2 }. */
export const BlockRanksSchema = z
  .record(z.string(), rank)
  .superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) if (!normaliseBlockName(k)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown block '${k}'; use conv2_1 ... conv5_3` });
  })
  .transform((rec) => Object.fromEntries(Object.entries(rec).map(([k, r]) => [normaliseBlockName(k)!, r])) as Record<string, number>);

/** The depth multiplier block `block` is (or would be) swapped at. */
export function rankOf(model: { swap: { depthMultiplier: number }; blockRanks?: Record<string, number> }, block: string): number {
  return model.blockRanks?.[block] ?? model.swap.depthMultiplier;
}

/**
 * A validation split carved from the training images: per class, a seeded random `fraction` of the
 * images (at least one when the class has two or more) is held out of training. Choices (greedy's
 * threshold, sensitivity, budgets) are made on it; the test set is only reported.
 */
export const ValidationSplitSchema = z.object({
  fraction: z.number().min(0, 'validation fraction must be 0 (none) to 0.5').max(0.5, 'validation fraction must be at most 0.5, e.g. 0.1'),
  seed: z.number().int().min(0).default(0),
  /** Set by the host when the split is not held out from the baseline this run starts from. */
  note: z.string().max(300).optional(),
});
export type ValidationSplit = z.infer<typeof ValidationSplitSchema>;
export const DEFAULT_VALIDATION: ValidationSplit = { fraction: 0.1, seed: 0 };

/** Where a choice is made: the validation split, or the test set as the study did (leaks the test set). */
export const SELECT_ON = ['validation', 'test'] as const;
export type SelectOn = (typeof SELECT_ON)[number];
export const SELECT_ON_LABEL: Record<SelectOn, string> = { validation: 'validation split', test: 'test set (study protocol)' };

/** Sensitivity analysis: every block alone at each r, SVD init + BN re-estimation, no training. */
export const SensitivityConfigSchema = z.object({
  ranks: z.array(rank).min(1, 'give at least one depth multiplier, e.g. 1,2,4').max(9).default([1, 2, 4]),
  /** Training batches for the BatchNorm re-estimation of each candidate. */
  bnRecalibrationBatches: z.number().int().min(0).default(10),
  /** Evaluate on the validation split (default) or, labelled, on the test set. */
  evaluateOn: z.enum(SELECT_ON).default('validation'),
});
export type SensitivityConfig = z.infer<typeof SensitivityConfigSchema>;

export const BUDGET_KINDS = ['params', 'mib', 'macs', 'ms'] as const;
export type BudgetKind = (typeof BUDGET_KINDS)[number];
/** `ms`: inference time, ms per image in ONNX Runtime, from the sensitivity run's latency table. */
export const BUDGET_UNIT: Record<BudgetKind, string> = { params: 'parameters', mib: 'MiB', macs: 'MACs', ms: 'ms/image (ONNX Runtime)' };

/** The knapsack's answer, filled in by the host before the run starts (a run is data). */
export const BudgetPlanSchema = z.object({
  ranks: z.record(z.string(), z.number().int().min(1)),
  /** Sum of the chosen blocks' sensitivity drops (accuracy points, 0..1). */
  predictedDrop: z.number(),
  /** The model's cost (params, MiB, MACs or predicted ms/image) with the chosen swaps, and the classical model's. */
  cost: z.number(),
  classicalCost: z.number(),
  target: z.number(),
  baselineAcc: z.number(),
  evaluatedOn: z.enum(SELECT_ON),
});
export type BudgetPlan = z.infer<typeof BudgetPlanSchema>;

/** A target on parameters, MiB, MACs or inference time (absolute, or % of the classical model): ours on the chosen blocks. */
export const BudgetConfigSchema = z.object({
  sensitivityRunId: z.string().min(1, 'choose a finished sensitivity run'),
  kind: z.enum(BUDGET_KINDS).default('params'),
  value: z.number().positive('the budget must be greater than 0'),
  unit: z.enum(['absolute', 'percent']).default('percent'),
  plan: BudgetPlanSchema.optional(),
});
export type BudgetConfig = z.infer<typeof BudgetConfigSchema>;

/** The network's structure apart from which blocks are swapped. */
const architecture = {
  /** Channels are divided by this (1 = the full 26.2M-parameter model, 8 = 1/8 width for tests). */
  widthDivisor: z.number().int().min(1).max(64).default(DEFAULTS.widthDivisor),
  /** Hidden units of the head at full width (the study: 1024, 512); divided by widthDivisor. */
  head: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([1024, 512]),
  classes: z.number().int().min(2).default(10),
  /**
   * Start each block's last BatchNorm at gamma = 0, so every residual block is the identity at
   * initialisation (Goyal et al. 2017). Keras does not (false); short runs from scratch train far
   * better with it.
   */
  zeroInitResidual: z.boolean().default(false),
  /** BatchNormalization momentum of the moving statistics (Keras: 0.99; lower suits short runs). */
  bnMomentum: z.number().min(0).max(0.9999).default(0.99),
  inputSize: z.number().int().min(32).max(64).default(32),
};

/** The engine's model: the architecture, the swapped blocks (Keras names) and how they are swapped. */
export const ModelConfigSchema = z.object({
  ...architecture,
  swapped: blockList.default([]),
  swap: SwapSpecSchema.prefault({}),
  /** Per-block depth multiplier r of swapped blocks, overriding swap.depthMultiplier (issue 12). */
  blockRanks: BlockRanksSchema.default({}),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const OPTIMISER_PRESET_NAMES = ['study', 'fast'] as const;
const OptimiserFields = z.object({
  /** `study`: RMSprop(centered, lr 1e-5); `fast`: Adam lr 1e-3 with warm-up, for training from scratch. */
  preset: z.enum([...OPTIMISER_PRESET_NAMES, 'custom']).default('fast'),
  name: z.enum(['rmsprop', 'adam', 'sgd']).default('adam'),
  learningRate: z.number().positive('learning rate must be greater than 0, e.g. 0.001').max(10, 'learning rate must be at most 10, e.g. 0.001').default(1e-3),
  centered: z.boolean().default(false),
  momentum: z.number().min(0).max(1).default(0),
  /** Epochs of linear learning-rate warm-up from 0 (0 = none). */
  warmupEpochs: z.number().min(0).default(0),
  /** After warm-up: constant, or cosine decay to 0 over the run's remaining steps. */
  schedule: z.enum(['constant', 'cosine']).default('constant'),
});
export type OptimiserConfig = z.infer<typeof OptimiserFields>;
export type OptimiserPreset = OptimiserConfig['preset'];

export const OPTIMISER_PRESETS: Record<(typeof OPTIMISER_PRESET_NAMES)[number], OptimiserConfig> = {
  /** The study's: RMSprop(centered=True, learning_rate=1e-5) with Keras' rho 0.9, epsilon 1e-7. */
  study: { preset: 'study', name: 'rmsprop', learningRate: 1e-5, centered: true, momentum: 0, warmupEpochs: 0, schedule: 'constant' },
  /** For training from scratch: Adam 1e-3 with one epoch of linear warm-up. */
  fast: { preset: 'fast', name: 'adam', learningRate: 1e-3, centered: false, momentum: 0, warmupEpochs: 1, schedule: 'constant' },
};

/** A named preset's values; `custom` as given. */
export function resolveOptimiser(cfg: OptimiserConfig): OptimiserConfig {
  return cfg.preset === 'custom' ? { ...cfg } : { ...OPTIMISER_PRESETS[cfg.preset] };
}

/** Parsing resolves the preset: a parsed configuration holds the values that train, whatever the preset. */
export const OptimiserSchema = OptimiserFields.transform(resolveOptimiser);

export const DataConfigSchema = z.object({
  /** A CIFAR-10 image-folder zip, an image-folder directory, or `cifar-10-batches-bin`. */
  path: z.string().min(1, 'dataset path is empty; give a CIFAR-10 zip, folder or cifar-10-batches-bin'),
  /** Use only the first N training images of each class (0 = all). */
  trainPerClass: z.number().int().min(0).default(0),
  /** Use only the first N test images of each class (0 = all). */
  testPerClass: z.number().int().min(0).default(0),
  augment: z.boolean().default(true),
});
export type DataConfig = z.infer<typeof DataConfigSchema>;

export const GreedySettingsSchema = z.object({
  threshold: z.number().min(0).max(1).default(DEFAULT_GREEDY.threshold),
  thresholdMode: z.enum(['absolute', 'relative']).default(DEFAULT_GREEDY.thresholdMode),
  /** Fine-tuning epochs after each swap the search tries. */
  fineTuneEpochs: z.number().int().min(0).default(DEFAULT_GREEDY.fineTuneEpochs),
  secondPass: z.boolean().default(DEFAULT_GREEDY.secondPass),
  /**
   * Keep a swap by validation accuracy, or by test accuracy as the study did (labelled). The
   * host fills in 'validation' for a new run; absent on runs stored before it (they chose on test).
   */
  selectOn: z.enum(SELECT_ON).optional(),
});
export type GreedySettings = z.infer<typeof GreedySettingsSchema>;

export const DistillSettingsSchema = z.object({
  temperature: z.number().positive().default(DEFAULT_DISTILL.temperature),
  alpha: z.number().min(0).max(1).default(DEFAULT_DISTILL.alpha),
  bnRecalibrationBatches: z.number().int().min(0).default(DEFAULT_DISTILL.bnRecalibrationBatches),
});
export type DistillSettings = z.infer<typeof DistillSettingsSchema>;

// ---------------------------------------------------------------------------------------------
// The union. A field from another protocol is refused with a message naming it.
// ---------------------------------------------------------------------------------------------

/** Why a field does not belong to a protocol, for the message that refuses it. */
function foreignHint(protocol: ProtocolKind, key: string): string {
  if (key === 'epochs') return protocol === 'sensitivity' ? 'a sensitivity run does not train' : 'the greedy search fine-tunes each step for greedy.fineTuneEpochs';
  if (key === 'initFrom') return 'only a baseline starts from a model folder';
  if (key === 'baselineRunId') return 'a baseline starts from random weights or from initFrom';
  if (key === 'greedy') return 'greedy settings belong to the greedy protocol';
  if (key === 'distill') return 'distillation belongs to the ours protocol';
  if (key === 'budget') return 'a budget applies to the ours protocol (SVD + BN + distillation on the chosen blocks)';
  if (key === 'sensitivity') return 'sensitivity settings belong to the sensitivity protocol';
  if (key === 'model.blockRanks') return `${protocol} has no per-block depth multipliers`;
  if (key === 'model.swapped') {
    if (protocol === 'ours') return 'ours swaps all 16 blocks';
    if (protocol === 'greedy') return 'the greedy search decides which blocks to swap';
    if (protocol === 'sensitivity') return 'a sensitivity run tries every block alone';
    return `${protocol} swaps no block`;
  }
  if (key === 'model.swap') return `${protocol} swaps no block`;
  return 'it is not a run setting';
}

/** A strict object whose unknown keys are refused as "X does not apply to the P protocol (why)". */
function strictFor<S extends z.core.$ZodLooseShape>(protocol: ProtocolKind, prefix: string, shape: S) {
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      return iss.keys
        .map((k) => `${prefix}${k} does not apply to the ${protocol} protocol (${foreignHint(protocol, `${prefix}${k}`)}); remove it`)
        .join('; ');
    },
  });
}

const common = {
  name: z.string().max(200).default(''),
  data: DataConfigSchema,
  optimiser: OptimiserSchema.prefault({}),
  batchSize: z.number().int().min(1, 'batch size must be at least 1').max(8192),
  seed: z.number().int().min(0).default(DEFAULTS.seed),
  backend: z.enum(['auto', ...BACKENDS]).default('auto'),
  /** Inference timing: batch size used over the test set. */
  inferenceBatch: z.number().int().min(1).default(DEFAULTS.inferenceBatch),
  /** Absent on runs stored before issue 12 (shown as "none (study protocol)"); the host fills it. */
  validation: ValidationSplitSchema.optional(),
};
const epochs = z.number().int().min(1, 'epochs must be at least 1').max(10000);
const requiredBaseline = (p: ProtocolKind) =>
  z.string({ error: `the ${p} protocol starts from a trained baseline: choose a finished baseline run` }).min(1, `the ${p} protocol starts from a trained baseline: choose a finished baseline run`);

export const BaselineConfigSchema = strictFor('baseline', '', {
  ...common,
  protocol: z.literal('baseline'),
  model: strictFor('baseline', 'model.', architecture).prefault({}),
  /** Training epochs; 0 only with initFrom (the imported model is then only measured). */
  epochs: z.number().int().min(0, 'epochs must be at least 1').max(10000),
  /** Start from a model folder (model.json + shards, e.g. a Keras ResNet-50 exported with tensorflowjs_converter). */
  initFrom: z.string().min(1).optional(),
}).superRefine((c, ctx) => {
  if (c.epochs === 0 && !c.initFrom) ctx.addIssue({ code: 'custom', path: ['epochs'], message: 'epochs must be at least 1' });
});

export const GreedyConfigSchema = strictFor('greedy', '', {
  ...common,
  protocol: z.literal('greedy'),
  model: strictFor('greedy', 'model.', { ...architecture, swap: SwapSpecSchema.prefault({}) }).prefault({}),
  baselineRunId: requiredBaseline('greedy'),
  greedy: GreedySettingsSchema.prefault({}),
});

export const OursConfigSchema = strictFor('ours', '', {
  ...common,
  protocol: z.literal('ours'),
  model: strictFor('ours', 'model.', {
    ...architecture,
    /** Ours initialises every swap from the SVD of the trained kernel. */
    swap: SwapSpecSchema.extend({ init: z.literal('svd', { error: 'ours initialises by SVD; set model.swap.init to svd' }).default('svd') }).prefault({}),
    /** Per-block depth multipliers (a budget's plan, when there is one, decides them instead). */
    blockRanks: BlockRanksSchema.optional(),
  }).prefault({}),
  baselineRunId: requiredBaseline('ours'),
  /** Distillation epochs. */
  epochs,
  distill: DistillSettingsSchema.prefault({}),
  /** Swap only the blocks a budget's knapsack chooses, each at its own r (issue 12). */
  budget: BudgetConfigSchema.optional(),
});

export const ManualConfigSchema = strictFor('manual', '', {
  ...common,
  protocol: z.literal('manual'),
  model: strictFor('manual', 'model.', {
    ...architecture,
    /** The blocks to swap (Keras names). */
    swapped: blockList.refine((a) => a.length > 0, { message: 'pick at least one block to swap (click blocks below or in Architecture)' }),
    swap: SwapSpecSchema.prefault({}),
    /** Per-block depth multiplier r of swapped blocks, overriding swap.depthMultiplier (absent: none). */
    blockRanks: BlockRanksSchema.optional(),
  }),
  /** Fine-tune from this baseline run; without one the swapped model trains from scratch. */
  baselineRunId: z.string().min(1).optional(),
  /** Fine-tuning epochs. */
  epochs,
});

export const ControlConfigSchema = strictFor('control', '', {
  ...common,
  protocol: z.literal('control'),
  model: strictFor('control', 'model.', architecture).prefault({}),
  baselineRunId: requiredBaseline('control'),
  /** Epochs the baseline trains on for. */
  epochs,
});

/** Every block alone at each depth multiplier, SVD init + BN re-estimation, no training (issue 12). */
export const SensitivityRunConfigSchema = strictFor('sensitivity', '', {
  ...common,
  protocol: z.literal('sensitivity'),
  model: strictFor('sensitivity', 'model.', { ...architecture, swap: SwapSpecSchema.prefault({}) }).prefault({}),
  baselineRunId: requiredBaseline('sensitivity'),
  /** The host fills the defaults for a new run. */
  sensitivity: SensitivityConfigSchema.optional(),
});

export const RunConfigSchema = z.discriminatedUnion(
  'protocol',
  [BaselineConfigSchema, GreedyConfigSchema, OursConfigSchema, ManualConfigSchema, ControlConfigSchema, SensitivityRunConfigSchema],
  { error: (iss) => (iss.code === 'invalid_union' ? `unknown protocol; expected one of ${PROTOCOLS.map((p) => `"${p}"`).join('|')}` : undefined) },
);
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigOf<P extends ProtocolKind> = Extract<RunConfig, { protocol: P }>;
export type RunConfigInputOf<P extends ProtocolKind> = Extract<RunConfigInput, { protocol: P }>;

/** The blocks a run starts with swapped (all 16 for ours, the selection for manual, none otherwise). */
export function runSwapped(c: RunConfig): string[] {
  if (c.protocol === 'ours' && c.budget?.plan) return startingSwapped('manual', Object.keys(c.budget.plan.ranks));
  return startingSwapped(c.protocol, c.protocol === 'manual' ? c.model.swapped : []);
}

/** The per-block depth multipliers a run starts with: a budget's plan (ours), else the model's own. */
export function runBlockRanks(c: RunConfig): Record<string, number> {
  if (c.protocol === 'ours' && c.budget?.plan) return { ...c.budget.plan.ranks };
  return 'blockRanks' in c.model ? { ...(c.model.blockRanks ?? {}) } : {};
}

/** The engine's model for a run's starting network: its architecture, swapped blocks and swap spec. */
export function runModel(c: RunConfig): ModelConfig {
  const swap: SwapSpec = 'swap' in c.model ? { ...c.model.swap } : { ...DEFAULT_SWAP };
  const { widthDivisor, head, classes, zeroInitResidual, bnMomentum, inputSize } = c.model;
  return { widthDivisor, head: [...head], classes, zeroInitResidual, bnMomentum, inputSize, swapped: runSwapped(c), swap, blockRanks: runBlockRanks(c) };
}

export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** The baseline run a configuration starts from, if any. */
export function baselineOf(c: RunConfig): string | null {
  return c.protocol === 'baseline' ? null : (c.baselineRunId ?? null);
}

/** The part of a zod issue that locates it. */
export interface IssueLocation {
  path: readonly PropertyKey[];
  code?: string;
  keys?: readonly string[];
}

/**
 * The dotted field an issue is about ("data.path"); for a field from another protocol (zod's
 * unrecognized_keys, raised on the object holding it) the field itself ("initFrom", "model.swapped").
 */
export function issueField(issue: IssueLocation): string {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? (p.description ?? '') : String(p)));
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) path.push(issue.keys[0]);
  return path.join('.');
}
