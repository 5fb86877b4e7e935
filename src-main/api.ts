/**
 * The one typed contract between the UI (renderer, CLI) and the host that owns the engine and the
 * store. Every request and every event crossing a process boundary is listed here; the preload,
 * the WebSocket transport and the host all import these types. Nothing here imports Node, Electron,
 * Vue or TF.js, so both sides can use it.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// The architecture: ResNet-50's 16 bottleneck blocks, named as keras.applications names them.
// ---------------------------------------------------------------------------------------------

export const STAGES = [
  { stage: 2, blocks: 3, width: 64 },
  { stage: 3, blocks: 4, width: 128 },
  { stage: 4, blocks: 6, width: 256 },
  { stage: 5, blocks: 3, width: 512 },
] as const;

export interface BlockInfo {
  /** Keras layer prefix, e.g. `conv2_block1`. */
  name: string;
  /** The study's label, e.g. `conv2_1`. */
  label: string;
  stage: number;
  index: number;
  /** Base width (filters of the 3x3 conv) at full width. */
  baseWidth: number;
}

export const BLOCKS: readonly BlockInfo[] = STAGES.flatMap((s) =>
  Array.from({ length: s.blocks }, (_, i) => ({
    name: `conv${s.stage}_block${i + 1}`,
    label: `conv${s.stage}_${i + 1}`,
    stage: s.stage,
    index: i + 1,
    baseWidth: s.width,
  })),
);

export const BLOCK_NAMES: readonly string[] = BLOCKS.map((b) => b.name);

/** Accepts `conv2_block1`, `conv2_1` or `block_conv2_1`; returns the Keras name or null. */
export function normaliseBlockName(raw: string): string | null {
  const s = raw.trim().replace(/^block_/, '');
  const m = /^conv([2-5])_(?:block)?(\d+)$/.exec(s);
  if (!m) return null;
  const name = `conv${m[1]}_block${Number(m[2])}`;
  return BLOCK_NAMES.includes(name) ? name : null;
}

// ---------------------------------------------------------------------------------------------
// Configuration: a run is data (one serialisable object).
// ---------------------------------------------------------------------------------------------

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const blockName = z.string().refine((s) => normaliseBlockName(s) !== null, {
  message: `unknown block name; use one of conv2_1 ... conv5_3 (or Keras names like conv2_block1)`,
});

export const SwapSpecSchema = z.object({
  /** Depthwise channel multiplier r; the 1x1 conv then has M*r inputs. */
  depthMultiplier: z.number().int('depth multiplier must be a whole number, e.g. 1').min(1, 'depth multiplier must be at least 1').max(64, 'depth multiplier must be at most 64 (1 to 9 suits a 3x3 kernel)').default(1),
  /** `svd`: factorise the trained 3x3 kernel; `random`: fresh initialisation as the study did. */
  init: z.enum(['svd', 'random']).default('svd'),
  /** MobileNet variant: BatchNormalization between the depthwise and the 1x1 conv. */
  bnBetween: z.boolean().default(false),
  /** ReLU after that BatchNormalization (breaks the exact factorisation). */
  reluBetween: z.boolean().default(false),
});
export type SwapSpec = z.infer<typeof SwapSpecSchema>;

export const ModelConfigSchema = z.object({
  /** Channels are divided by this (1 = the full 26.2M-parameter model, 8 = 1/8 width for tests). */
  widthDivisor: z.number().int().min(1).max(64).default(1),
  /** Blocks whose 3x3 conv is depthwise-separable. Keras names. */
  swapped: z.array(blockName).default([]).transform((a) => a.map((s) => normaliseBlockName(s)!)),
  swap: SwapSpecSchema.default({ depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false }),
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
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const OPTIMISER_PRESETS = ['study', 'fast'] as const;
export const OptimiserSchema = z.object({
  /** `study`: RMSprop(centered, lr 1e-5); `fast`: Adam lr 1e-3 with warm-up, for training from scratch. */
  preset: z.enum(['study', 'fast', 'custom']).default('fast'),
  name: z.enum(['rmsprop', 'adam', 'sgd']).default('adam'),
  learningRate: z.number().positive('learning rate must be greater than 0, e.g. 0.001').max(10, 'learning rate must be at most 10, e.g. 0.001').default(1e-3),
  centered: z.boolean().default(false),
  momentum: z.number().min(0).max(1).default(0),
  warmupEpochs: z.number().min(0).default(0),
});
export type OptimiserConfig = z.infer<typeof OptimiserSchema>;

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

export const PROTOCOLS = ['baseline', 'greedy', 'ours', 'manual', 'control'] as const;
export type ProtocolKind = (typeof PROTOCOLS)[number];

export const RunConfigSchema = z.object({
  name: z.string().max(200).default(''),
  protocol: z.enum(PROTOCOLS),
  model: ModelConfigSchema.default(ModelConfigSchema.parse({})),
  data: DataConfigSchema,
  optimiser: OptimiserSchema.default(OptimiserSchema.parse({})),
  /** Training epochs (baseline, control) or fine-tuning epochs (manual, ours); 0 only with initFrom. */
  epochs: z.number().int().min(0, 'epochs must be at least 1').max(10000),
  /**
   * Baseline only: start from a model folder (model.json + shards, e.g. a Keras ResNet-50 exported
   * with tensorflowjs_converter) instead of random weights. With epochs 0 it is only measured.
   */
  initFrom: z.string().min(1).optional(),
  batchSize: z.number().int().min(1, 'batch size must be at least 1').max(8192),
  seed: z.number().int().min(0).default(42),
  backend: z.enum(['auto', ...BACKENDS]).default('auto'),
  /** The trained baseline run a swap protocol or the control starts from. */
  baselineRunId: z.string().optional(),
  greedy: z
    .object({
      threshold: z.number().min(0).max(1).default(0.7),
      thresholdMode: z.enum(['absolute', 'relative']).default('absolute'),
      fineTuneEpochs: z.number().int().min(0).default(1),
      secondPass: z.boolean().default(true),
    })
    .default({ threshold: 0.7, thresholdMode: 'absolute', fineTuneEpochs: 1, secondPass: true }),
  distill: z
    .object({
      temperature: z.number().positive().default(4),
      alpha: z.number().min(0).max(1).default(0.9),
      bnRecalibrationBatches: z.number().int().min(0).default(20),
    })
    .default({ temperature: 4, alpha: 0.9, bnRecalibrationBatches: 20 }),
  /** Inference timing: batch size used over the test set. */
  inferenceBatch: z.number().int().min(1).default(256),
}).superRefine((c, ctx) => {
  if (c.epochs === 0 && !(c.protocol === 'baseline' && c.initFrom)) {
    ctx.addIssue({ code: 'custom', path: ['epochs'], message: 'epochs must be at least 1' });
  }
  if (c.initFrom && c.protocol !== 'baseline') {
    ctx.addIssue({ code: 'custom', path: ['initFrom'], message: 'initFrom applies to the baseline protocol; other protocols start from a baseline run' });
  }
});
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type RunConfig = z.infer<typeof RunConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Results.
// ---------------------------------------------------------------------------------------------

export interface BlockParams {
  name: string;
  label: string;
  swapped: boolean;
  /** Parameters of the whole bottleneck block (1x1, 3x3 or its replacement, 1x1, BN, shortcut). */
  params: number;
  /** Parameters of the 3x3 conv (with bias) or of its depthwise + 1x1 replacement. */
  convParams: number;
  /** The study's formulas with M inputs, N filters, D = 3: N*M*D^2 and M*(D^2+N) (no biases). */
  formulaClassical: number;
  formulaSeparable: number;
  inChannels: number;
  filters: number;
}

export interface InspectResult {
  model: ModelConfig;
  blocks: BlockParams[];
  totalParams: number;
  trainableParams: number;
  weightsMiB: number;
  classicalParams: number;
  classicalWeightsMiB: number;
  savedParams: number;
  savedPercent: number;
}

export type RunStatus = 'queued' | 'running' | 'cancelled' | 'interrupted' | 'done' | 'failed';

export interface EpochMetrics {
  phase: string;
  epoch: number;
  loss: number;
  /** Accuracy on the (augmented) training batches of the epoch; null for a phase with no training. */
  trainAcc: number | null;
  testAcc: number | null;
  testLoss: number | null;
  seconds: number;
  samplesPerSec: number;
}

export interface GreedyRecord {
  block: string;
  label: string;
  pass: 1 | 2;
  testAcc: number;
  kept: boolean;
}

export interface FinalMetrics {
  trainAcc: number;
  testAcc: number;
  params: number;
  weightsMiB: number;
  blocksSwapped: number;
  inferenceSeconds: number;
  inferenceBatch: number;
  inferenceImages: number;
  backend: string;
  trainSeconds: number;
  epochsTrained: number;
}

export interface RunRecord {
  id: string;
  name: string;
  tags: string[];
  protocol: ProtocolKind;
  status: RunStatus;
  statusReason: string | null;
  config: RunConfig;
  createdAt: string;
  updatedAt: string;
  backend: string | null;
  device: string | null;
  datasetChecksum: string | null;
  appVersion: string;
  final: FinalMetrics | null;
  epochs: EpochMetrics[];
  greedy: GreedyRecord[];
  swapped: string[];
  checkpointPath: string | null;
  weightsPath: string | null;
}

export type RunSummary = Omit<RunRecord, 'epochs' | 'greedy' | 'config'> & {
  widthDivisor: number;
};

export interface CompareRow {
  id: string;
  name: string;
  protocol: ProtocolKind;
  trainAcc: number | null;
  testAcc: number | null;
  inferenceSeconds: number | null;
  paramsM: number | null;
  weightsMiB: number | null;
  blocksSwapped: number;
  /** Differences against the reference run, in percent (negative = smaller/lower). */
  diff: {
    trainAcc: number | null;
    testAcc: number | null;
    inferenceSeconds: number | null;
    params: number | null;
    weightsMiB: number | null;
  };
}

export interface Comparison {
  referenceId: string;
  rows: CompareRow[];
  /** Per-block table: for every block, each run's state (swapped, greedy test acc and kept). */
  blocks: {
    name: string;
    label: string;
    runs: Record<string, { swapped: boolean; testAcc: number | null; kept: boolean | null; pass: number | null }>;
  }[];
  curves: Record<string, EpochMetrics[]>;
}

// ---------------------------------------------------------------------------------------------
// Events from the host (progress is a stream; everything else answers a request).
// ---------------------------------------------------------------------------------------------

export interface ProgressEvent {
  type: 'progress';
  runId: string;
  phase: string;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  acc: number;
  samplesPerSec: number;
  etaSeconds: number;
  /** 0..1 over the whole run. */
  fraction: number;
}

export type HostEvent =
  | ProgressEvent
  | { type: 'epoch'; runId: string; metrics: EpochMetrics }
  | { type: 'greedy'; runId: string; record: GreedyRecord }
  | { type: 'status'; runId: string; status: RunStatus; reason: string | null }
  | { type: 'log'; runId: string; level: 'info' | 'warn' | 'error'; message: string };

export interface BackendReport {
  chosen: string;
  device: string | null;
  tried: { name: BackendName; available: boolean; reason: string }[];
}

export interface DatasetCheck {
  ok: boolean;
  path: string;
  layout: string | null;
  train: number;
  test: number;
  classes: string[];
  message: string;
}

/** The file extension of a run archive (exportRun writes one, importRun reads one). */
export const ARCHIVE_EXTENSION = '.dwrun';

/** Every request the UI can make; the host implements exactly this. */
export interface HostApi {
  info(): Promise<{ appVersion: string; dataDir: string; backend: BackendReport | null; defaultDataset: string | null }>;
  inspect(model: z.input<typeof ModelConfigSchema>): Promise<InspectResult>;
  checkDataset(path: string): Promise<DatasetCheck>;
  listRuns(): Promise<RunSummary[]>;
  getRun(id: string): Promise<RunRecord>;
  startRun(config: RunConfigInput): Promise<{ id: string }>;
  cancelRun(id: string): Promise<void>;
  resumeRun(id: string): Promise<void>;
  renameRun(id: string, name: string): Promise<void>;
  tagRun(id: string, tags: string[]): Promise<void>;
  deleteRun(id: string): Promise<void>;
  compare(ids: string[], referenceId?: string): Promise<Comparison>;
  /**
   * Writes the run as one `.dwrun` file at `path` on the host's machine (absolute; `.dwrun` is
   * appended when missing; an existing file there is replaced). Answers where it was written.
   */
  exportRun(id: string, path: string): Promise<{ path: string }>;
  /** Adds the run in the `.dwrun` file at `path` (on the host's machine); answers its id here. */
  importRun(path: string): Promise<{ id: string }>;
}

export type HostMethod = keyof HostApi;
export const HOST_METHODS = [
  'info',
  'inspect',
  'checkDataset',
  'listRuns',
  'getRun',
  'startRun',
  'cancelRun',
  'resumeRun',
  'renameRun',
  'tagRun',
  'deleteRun',
  'compare',
  'exportRun',
  'importRun',
] as const satisfies readonly HostMethod[];

// Fails to compile when HostApi gains a method this list lacks (the transports refuse unlisted ones).
type UnlistedMethod = Exclude<HostMethod, (typeof HOST_METHODS)[number]>;
const everyMethodListed: [UnlistedMethod] extends [never] ? true : UnlistedMethod = true;
void everyMethodListed;

/** Error shape sent across transports: a one-line message naming the problem and the fix. */
export interface ApiError {
  code: 'bad-input' | 'not-found' | 'conflict' | 'internal';
  message: string;
  field?: string;
}

/** What a transport (Electron IPC, WebSocket) needs from the host: the API plus its event stream. */
export interface HostService extends HostApi {
  onEvent(listener: (event: HostEvent) => void): () => void;
}

/** Wire envelopes used by every transport. */
export interface ApiRequest {
  id: number;
  method: HostMethod;
  args: unknown[];
}
export type ApiResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ApiError };
export type WireMessage = ApiResponse | { event: HostEvent };
