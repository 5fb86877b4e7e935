/** What a protocol needs from whoever runs it (the worker, a test), and what it reports back. */
import type { EpochMetrics, FinalMetrics, GreedyRecord, RunConfig } from '../contract';
import type { TensorData } from './data/tensors';
import type { Files } from './modelio';
import type { Net } from './swap';
import type { TrainProgress } from './train';

export type EngineEvent =
  | { type: 'progress'; progress: TrainProgress; fraction: number; etaSeconds: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'greedy'; record: GreedyRecord }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

/** A progress event as a protocol emits it: the run's ETA is added by runProtocol (see eta.ts). */
export type ProtocolEvent = Exclude<EngineEvent, { type: 'progress' }> | Omit<Extract<EngineEvent, { type: 'progress' }>, 'etaSeconds'>;

/** The run's configuration is resolved by the host: presets are values, defaults are filled in. */
export interface RunContext<C extends RunConfig = RunConfig> {
  config: C;
  signal: AbortSignal;
  emit(event: ProtocolEvent): void;
  /** `val`: the validation split carved from the training images (absent or null: none). */
  data: { train: TensorData; test: TensorData; val?: TensorData | null };
  /** The trained baseline this run starts from (greedy, ours, manual with a baseline, control). */
  loadBaseline(): Promise<Net>;
  /** Writes a checkpoint atomically; `state` is the protocol's JSON position. */
  saveCheckpoint(files: Files, state: CheckpointState): Promise<void>;
  /** Minimum seconds between progress events (default 1). */
  progressInterval?: number;
  /** The last checkpoint, if this run is being resumed. */
  checkpoint: { files: Files; state: CheckpointState } | null;
}

export interface CheckpointState {
  phase: string;
  /** Epochs completed in this phase. */
  epoch: number;
  greedy?: { pass: 1 | 2; index: number; records: GreedyRecord[] };
  epochsSpent: number;
  trainSeconds: number;
}

export interface ProtocolResult {
  cancelled: boolean;
  net: Net | null;
  final: FinalMetrics | null;
  greedy: GreedyRecord[];
}

export const CANCELLED: ProtocolResult = { cancelled: true, net: null, final: null, greedy: [] };

/** What runProtocol needs: a RunContext whose listener receives progress with the run's ETA. */
export type RunJob = Omit<RunContext, 'emit'> & { emit(event: EngineEvent): void };
