/** Messages between the host and the training worker (one worker per run). */
import type { BackendReport, FinalMetrics, GreedyRecord, RunConfig } from '../contract';
import type { EngineEvent } from '../engine';

export interface JobSpec {
  runId: string;
  config: RunConfig;
  /** `<dataDir>/runs/<id>`: the worker writes `checkpoint/` and `model/` here, atomically. */
  runDir: string;
  /** Folder of the baseline run's final model, for protocols that start from one. */
  baselineModelDir: string | null;
  /** Continue from `<runDir>/checkpoint` if it exists. */
  resume: boolean;
  /** Decoded-dataset cache folder. */
  cacheDir: string;
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'backend'; report: BackendReport }
  | { type: 'resumed'; greedy: GreedyRecord[]; epochsSpent: number }
  | { type: 'dataset'; checksum: string; train: number; test: number; val: number; source: string }
  | { type: 'engine'; event: EngineEvent }
  | { type: 'checkpoint'; dir: string; epochsSpent: number }
  | { type: 'done'; final: FinalMetrics; swapped: string[]; modelDir: string | null }
  | { type: 'cancelled' }
  | { type: 'failed'; message: string; code: string };
