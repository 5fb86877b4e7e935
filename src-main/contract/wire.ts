/**
 * Zod-free wire types: results, host events, the HostApi every transport speaks, and the envelopes.
 * Only type imports, so the sandboxed preload can import this without bundling zod.
 */
import type { BackendName, ModelConfig, ModelConfigInput, RunConfig, RunConfigInput, SelectOn } from './config';
import type { BlockLatencyReport, InferenceTiming, InferenceTimingInput, LatencyTable, OnnxEvalResult, OnnxExportResult } from './deploy';
import type { ProtocolKind } from './protocols';

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
  /** Validation accuracy where measured (the svd+bn phase of ours); absent elsewhere. */
  valAcc?: number | null;
  seconds: number;
  samplesPerSec: number;
}

export interface GreedyRecord {
  block: string;
  label: string;
  pass: 1 | 2;
  testAcc: number;
  /** Validation accuracy the decision was made on (absent on runs before issue 12, or when chosen on test). */
  valAcc?: number | null;
  kept: boolean;
}

/** One candidate of a sensitivity analysis: `block` swapped alone at depth multiplier `r`. */
export interface SensitivityRow {
  block: string;
  label: string;
  r: number;
  /** Accuracy on the evaluation set after SVD init + BN re-estimation, and its drop from the baseline's. */
  acc: number;
  drop: number;
  /** ||W - W_r||_F / ||W||_F of the 3x3 kernel's factorisation. */
  kernelError: number;
  paramsSaved: number;
  mibSaved: number;
  /** Multiply-adds per image saved by this swap (`SensitivityResult.costUnit`). */
  costSaved: number;
  /**
   * ms per image saved in ONNX Runtime (the block's dense 3x3 conv minus its separable replacement,
   * from `SensitivityResult.latency`; negative when the swap is slower); null without that table.
   */
  msSaved?: number | null;
}

export interface SensitivityResult {
  baselineAcc: number;
  evaluatedOn: SelectOn;
  images: number;
  ranks: number[];
  /** Multipliers left out because r > min(9, N) for that block (the factorisation is exact before). */
  skipped: { block: string; r: number; reason: string }[];
  costUnit: 'MACs';
  /** `ms`: the classical model's ms per image in ONNX Runtime, when `latency` was measured. */
  classical: { params: number; mib: number; cost: number; ms?: number | null };
  rows: SensitivityRow[];
  seconds: number;
  /** The ONNX Runtime latency table inference-time budgets read; absent when ONNX Runtime could not run (`latencyNote` says why). */
  latency?: LatencyTable | null;
  latencyNote?: string | null;
}

/** A budget run's prediction next to its outcome (accuracy points on the selection set). */
export interface BudgetOutcome {
  predictedDrop: number;
  /** Drop right after SVD init + BN re-estimation (what the sensitivity table predicts). */
  zeroShotDrop: number | null;
  /** Drop after distillation. */
  finalDrop: number | null;
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
  /** Inference timing under the protocol (ONNX Runtime and engine); absent until measured. */
  timing?: InferenceTiming;
  /** Accuracy on the run's validation split (absent on older runs and without a split). */
  valAcc?: number | null;
  /** Images in the validation split (0 = none). */
  valImages?: number;
  /** MACs of one forward pass, computed per layer at its real shape. */
  macs?: number;
  sensitivity?: SensitivityResult;
  budget?: BudgetOutcome;
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
  /** Where an imported run came from, and what of its record could be checked; null for runs made here. */
  origin?: RunOrigin | null;
}

/** An imported run's provenance: the archive, when, which workbench made it, and the checks on its claims. */
export interface RunOrigin {
  /** The `.dwrun` file's name (without its folder). */
  file: string;
  importedAt: string;
  /** The app version the exporting workbench recorded. */
  appVersion: string;
  /** The exporting machine's host name, when the archive says. */
  host: string | null;
  checks: { passed: boolean; notes: string[] };
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
  /** ONNX Runtime / engine timing under the protocol, when measured (timeInference). */
  timing?: InferenceTiming | null;
  /** Validation accuracy (null: the run has no split, or predates it). */
  valAcc?: number | null;
  /** Multiply-adds of one image, millions (analytical, per layer at its real shape). */
  macsM?: number | null;
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
  inspect(model: ModelConfigInput): Promise<InspectResult>;
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
   * appended when missing; an existing regular file there is replaced only with `overwrite`, else
   * a `conflict` error; never a link, device or folder). Answers where it was written.
   */
  exportRun(id: string, path: string, overwrite?: boolean): Promise<{ path: string }>;
  /** Adds the run in the `.dwrun` file at `path` (on the host's machine); answers its id here. */
  importRun(path: string): Promise<{ id: string }>;
  /** Writes the run's model as an ONNX file at `path` (host's machine), checked by ONNX Runtime. */
  exportOnnx(id: string, path: string): Promise<OnnxExportResult>;
  /** Test accuracy of an ONNX file through ONNX Runtime (dataset: the default one unless given). */
  evalOnnx(path: string, data?: { path?: string; testPerClass?: number }): Promise<OnnxEvalResult>;
  /** Times the runs' models alternately (ONNX Runtime + engine), stores it in each run, answers it. */
  timeInference(ids: string[], timing?: InferenceTimingInput): Promise<Record<string, InferenceTiming>>;
  /** Per-block dense vs separable latency in ONNX Runtime at the shapes of `widthDivisor` (1 = full width), cached per machine unless `refresh`. */
  blockLatency(opts?: { refresh?: boolean; widthDivisor?: number }): Promise<BlockLatencyReport>;
}

export type HostMethod = keyof HostApi;

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

/** What the Electron main process answers to the preload's printPdf (the report's PDF export). */
export type PrintPdfResult = { ok: true; path: string | null } | { ok: false; error: ApiError };

/**
 * What the Electron preload exposes on `window.dwswap` (contextBridge.exposeInMainWorld): one
 * generic request channel answering ApiResponse envelopes, one event stream, and the desktop's PDF
 * export. The preload's object satisfies this type; the renderer reads `window.dwswap` as it.
 */
export interface PreloadBridge {
  /** Sends one request; resolves with the envelope (errors are `{ ok: false, error }`, not rejections). */
  invoke(method: HostMethod, args: unknown[]): Promise<ApiResponse>;
  /** Subscribes to host events; returns the unsubscribe function. */
  onEvent(cb: (event: HostEvent) => void): () => void;
  /** Desktop only: prints the current page (print stylesheet, A4) to a PDF the user saves. */
  printPdf?(): Promise<PrintPdfResult>;
}
