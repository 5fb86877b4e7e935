/**
 * The GPU benchmark's result file, bench-gpu.json: its shape, and an atomic writer (temp file +
 * rename in the same folder), so a run killed at any moment leaves the last complete version.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendReport, ModelConfig } from '../../src-main/contract';
import type { BenchOptions, ModelKind } from './options';

export const REPORT_SCHEMA = 'dwswap.bench-gpu/1';
export const REPORT_FILE = 'bench-gpu.json';
/** Images in one CIFAR-10 training epoch; every epoch time is projected to this. */
export const EPOCH_IMAGES = 50_000;
/** The target: one training epoch through WebGPU in at most this many seconds. */
export const TARGET_EPOCH_SECONDS = 30;

export interface TrainingResult {
  model: ModelKind;
  /** `engine`: the engine's train() step; `model.fit`: TF.js's own loop, the baseline. */
  loop: 'engine' | 'model.fit';
  batch: number;
  optimiser: { name: string; learningRate: number; lrScaling: 'linear' | 'sqrt'; warmupSteps: number };
  augment: boolean;
  warmupSteps: number;
  /** Wall seconds of the warm-up steps (the first one compiles the backend's shaders). */
  warmupSeconds: number;
  steps: number;
  /** Wall seconds of the timed steps, up to the read-back of their summed loss. */
  seconds: number;
  msPerStep: number;
  samplesPerSec: number;
  /** EPOCH_IMAGES / samplesPerSec. */
  epochSeconds: number;
  /** Mean training loss of the timed steps (NaN here means the backend computed garbage). */
  loss: number;
  lossFinite: boolean;
  /** Tensors alive after minus before the measurement (model and data excluded): a leak check. */
  tensorsLeaked: number;
  memory: Record<string, number>;
}

export interface InferenceResult {
  model: ModelKind;
  batch: number;
  /** Images the result is stated for (the test set: 10,000). */
  images: number;
  /** Images actually timed; fewer than `images` when the full pass would exceed the cap. */
  timedImages: number;
  measuredSeconds: number;
  /** Seconds for `images`: measured, or measuredSeconds * images / timedImages when projected. */
  seconds: number;
  projected: boolean;
  msPerImage: number;
  /** Set when the asked-for batch did not run and a smaller one was used. */
  note?: string;
}

export interface ModelSummary {
  config: ModelConfig;
  params: number;
  trainableParams: number;
  buildSeconds: number;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  startedAt: string;
  updatedAt: string;
  finished: boolean;
  wallSeconds: number;
  /** The options as run (budgetS null = unlimited). */
  config: Omit<BenchOptions, 'budgetS'> & { budgetS: number | null; epochImages: number };
  versions: Record<string, string>;
  backend: BackendReport | null;
  /** WebGPU adapter and device limits where the backend is webgpu. */
  adapter: Record<string, unknown> | null;
  flags: Record<string, unknown>;
  data: {
    source: 'zip' | 'random';
    path: string | null;
    train: number;
    test: number;
    loadSeconds: number;
    /** Bytes the resident train + test tensors take on the backend. */
    residentMiB: number;
  } | null;
  models: Partial<Record<ModelKind, ModelSummary>>;
  training: TrainingResult[];
  /** model.fit on the classical model at the first batch size (--fit-baseline). */
  baseline: TrainingResult[];
  inference: InferenceResult[];
  skipped: { what: string; reason: string }[];
  errors: { what: string; message: string }[];
  target: { epochSeconds: number; bestEpochSeconds: number | null; met: boolean | null };
  /** Set when the run stopped on an error that ended it (e.g. the backend could not start). */
  fatal: string | null;
}

/** Writes `value` as JSON to dir/name atomically (write a temp file, then rename over). */
export function writeJsonAtomic(dir: string, name: string, value: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/** Best (smallest) projected epoch time over the training results, and whether it meets the target. */
export function targetOf(training: TrainingResult[]): BenchReport['target'] {
  const times = training.filter((t) => t.lossFinite).map((t) => t.epochSeconds);
  const best = times.length ? Math.min(...times) : null;
  return {
    epochSeconds: TARGET_EPOCH_SECONDS,
    bestEpochSeconds: best,
    met: best === null ? null : best <= TARGET_EPOCH_SECONDS,
  };
}
