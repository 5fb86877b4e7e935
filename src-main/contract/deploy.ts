/**
 * Deployment in the contract: the inference-timing protocol (a zod schema: its defaults live here),
 * and the zod-free results of ONNX export and evaluation, inference timing and per-block latency.
 */
import { z } from 'zod';

export const ORT_PROVIDERS = ['auto', 'cpu', 'cuda', 'webgpu'] as const;

/** The inference-timing protocol: warm-up until stable, models alternated, >= 5 repeats. */
export const InferenceTimingSchema = z.object({
  /** Batch sizes timed (images per run). */
  batches: z.array(z.number().int().min(1, 'batch must be at least 1').max(1024, 'batch must be at most 1024')).min(1).max(4).default([1, 64]),
  /** Timed repeats per model and batch (each alternates the models, rotating who goes first). */
  repeats: z.number().int().min(5, 'at least 5 repeats, so the median and spread mean something').max(50).default(7),
  /** ONNX Runtime intra-op threads (1 = one core, comparable across machines; 0 = one per core). */
  threads: z.number().int().min(0).max(256).default(1),
  /** Execution provider: auto = CUDA when installed, else CPU; WebGPU only when asked for. */
  provider: z.enum(ORT_PROVIDERS).default('auto'),
  /** Also time the engine (TF.js, its own backend) under the same protocol. */
  engine: z.boolean().default(true),
  /** Warm-up ends when two consecutive rounds' medians agree within this fraction. */
  warmupTolerance: z.number().min(0.001).max(0.5).default(0.05),
  maxWarmupRounds: z.number().int().min(2).max(100).default(12),
});
export type InferenceTimingConfig = z.infer<typeof InferenceTimingSchema>;
export type InferenceTimingInput = z.input<typeof InferenceTimingSchema>;

/** Milliseconds per image over the repeats. */
export interface TimingStats {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  repeats: number;
  samples: number[];
}

export interface TimedBatch {
  batch: number;
  msPerImage: TimingStats;
  warmupRounds: number;
  /** False when warm-up hit maxWarmupRounds without two agreeing medians. */
  stable: boolean;
}

export interface RuntimeTiming {
  runtime: 'onnxruntime' | 'engine';
  /** onnxruntime-node's or TF.js's version. */
  version: string;
  /** Execution provider (cpu, cuda, webgpu) or TF.js backend. */
  provider: string;
  /** Intra-op threads (ONNX Runtime); null for the engine. */
  threads: number | null;
  batches: TimedBatch[];
}

/** One run's inference timing, stored in its final metrics. */
export interface InferenceTiming {
  measuredAt: string;
  machine: string;
  protocol: InferenceTimingConfig;
  /** The runs timed alternately with this one (ids, this one included). */
  alternatedWith: string[];
  onnxruntime: RuntimeTiming;
  engine: RuntimeTiming | null;
}

export interface OnnxCheck {
  images: number;
  maxAbsError: number;
  /** max |onnx - engine| / max |engine| over the fixed batch. */
  maxRelError: number;
  tolerance: number;
  passed: boolean;
  provider: string;
}

export interface OnnxExportResult {
  path: string;
  bytes: number;
  seconds: number;
  opset: number;
  foldedBatchNorms: number;
  check: OnnxCheck;
}

export interface OnnxEvalResult {
  path: string;
  images: number;
  testAcc: number;
  perClassAcc: number[];
  seconds: number;
  provider: string;
  threads: number;
  dataset: string;
}

export interface BlockLatency {
  name: string;
  label: string;
  inChannels: number;
  filters: number;
  /** Spatial size of the block's 3x3 conv at the model's input size (32 -> 8, 4, 2, 1). */
  spatial: number;
  /** ms per image of the dense 3x3 conv and of depthwise 3x3 + pointwise 1x1, in ONNX Runtime. */
  dense: TimingStats;
  separable: TimingStats;
  /** dense median / separable median (> 1: the swap is faster). */
  speedup: number;
}

/**
 * ONNX Runtime latencies an inference-time budget reads (ms per image, medians at `batch`): the
 * whole classical model, and per block its dense 3x3 conv and the separable replacement at each r
 * (keys are r as strings). Measured in the sensitivity run on the machine it ran on.
 */
export interface LatencyTable {
  provider: string;
  threads: number;
  ortVersion: string;
  batch: number;
  classicalMs: number;
  blocks: { block: string; denseMs: number; separableMs: Record<string, number> }[];
}

export interface BlockLatencyReport {
  machine: string;
  provider: string;
  threads: number;
  ortVersion: string;
  batch: number;
  widthDivisor: number;
  measuredAt: string;
  /** True when read from this machine's cache rather than measured now. */
  cached: boolean;
  blocks: BlockLatency[];
}
