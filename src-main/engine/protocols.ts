/**
 * The experiments the workbench exists for, as resumable procedures over the engine:
 * baseline, the study's greedy protocol, our method (all blocks, SVD init, BN re-estimation,
 * distillation), a manual swap, and the equal-compute control. Each reports through typed events,
 * checkpoints at safe points and can resume from its last checkpoint with the same result.
 */
import * as tf from '@tensorflow/tfjs';
import { BLOCKS, ModelConfigSchema, type EpochMetrics, type FinalMetrics, type GreedyRecord, type RunConfig } from '../api';
import { evaluate } from './metrics';
import { measureFinal } from './measure';
import { createOptimiser, resolveOptimiser } from './optim';
import { buildResNet50 } from './resnet';
import { swapBlocks, type Net } from './swap';
import { recalibrateBatchNorm, train, type TensorData, type TrainProgress } from './train';
import { loadNetFromDir, restoreOptimiser, serialiseNet, deserialiseNet, type Files } from './modelio';

export type EngineEvent =
  | { type: 'progress'; progress: TrainProgress; fraction: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'greedy'; record: GreedyRecord }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

/** What a protocol needs from whoever runs it (the worker, a test). */
export interface RunContext {
  config: RunConfig;
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  data: { train: TensorData; test: TensorData };
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

const CANCELLED: ProtocolResult = { cancelled: true, net: null, final: null, greedy: [] };

/** Trains `net` for the phase's epochs, checkpointing each epoch; resumes inside the phase. */
async function trainPhase(
  ctx: RunContext,
  net: Net,
  state: CheckpointState,
  phase: string,
  epochs: number,
  extra: { teacher?: tf.LayersModel; fraction?: (p: TrainProgress) => number } = {},
): Promise<boolean> {
  const cfg = ctx.config;
  const optimiser = createOptimiser(cfg.optimiser);
  const resuming = ctx.checkpoint && ctx.checkpoint.state.phase === phase ? ctx.checkpoint : null;
  if (resuming) await restoreOptimiser(optimiser, resuming.files);
  const result = await train(net.model, ctx.data.train, {
    phase,
    epochs,
    startEpoch: resuming ? resuming.state.epoch : 0,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    optimiser,
    optimiserConfig: resolveOptimiser(cfg.optimiser),
    augment: cfg.data.augment,
    teacher: extra.teacher,
    distill: extra.teacher ? cfg.distill : undefined,
    test: ctx.data.test,
    signal: ctx.signal,
    progressInterval: ctx.progressInterval,
    onProgress: (p) => ctx.emit({ type: 'progress', progress: p, fraction: extra.fraction?.(p) ?? (p.epoch + p.batch / p.batches) / p.epochs }),
    onEpochEnd: async (epoch, metrics) => {
      ctx.emit({ type: 'epoch', metrics });
      state.epochsSpent += 1;
      state.trainSeconds += metrics.seconds;
      Object.assign(state, { phase, epoch: epoch + 1 });
      await ctx.saveCheckpoint(await serialiseNet(net, optimiser), { ...state });
    },
  });
  optimiser.dispose();
  return !result.cancelled;
}

function initialState(ctx: RunContext): CheckpointState {
  return ctx.checkpoint ? { ...ctx.checkpoint.state } : { phase: 'start', epoch: 0, epochsSpent: 0, trainSeconds: 0 };
}

async function startingNet(ctx: RunContext, fresh: () => Promise<Net>): Promise<Net> {
  return ctx.checkpoint ? deserialiseNet(ctx.checkpoint.files) : fresh();
}

/** Baseline: the classical ResNet-50 trained from scratch. */
export async function runBaseline(ctx: RunContext): Promise<ProtocolResult> {
  const cfg = ModelConfigSchema.parse({ ...ctx.config.model, swapped: [] });
  const fresh = async (): Promise<Net> => ({ model: buildResNet50(cfg, ctx.config.seed), config: cfg });
  const imported = async (): Promise<Net> => {
    const net = await loadNetFromDir(ctx.config.initFrom!);
    ctx.emit({ type: 'log', level: 'info', message: `started from ${ctx.config.initFrom} (${net.config.swapped.length} blocks swapped, 1/${net.config.widthDivisor} width)` });
    return net;
  };
  const net = await startingNet(ctx, ctx.config.initFrom ? imported : fresh);
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'train', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/** Equal-compute control: the baseline trained on for `epochs` more epochs with the run's optimiser. */
export async function runControl(ctx: RunContext): Promise<ProtocolResult> {
  const net = await startingNet(ctx, () => ctx.loadBaseline());
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'train', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/** Manual: exactly the chosen blocks swapped (chosen init), then fine-tuned. */
export async function runManual(ctx: RunContext): Promise<ProtocolResult> {
  const net = await startingNet(ctx, async () => {
    const base = ctx.config.baselineRunId
      ? await ctx.loadBaseline()
      : { model: buildResNet50({ ...ctx.config.model, swapped: [] }, ctx.config.seed), config: ModelConfigSchema.parse({ ...ctx.config.model, swapped: [] }) };
    const swapped = swapBlocks(base, ctx.config.model.swapped, ctx.config.model.swap, ctx.config.seed);
    for (const r of swapped.reports) ctx.emit({ type: 'log', level: 'info', message: `${r.block}: ${r.init} init${r.kernelError === null ? '' : `, kernel error ${r.kernelError.toFixed(4)}`}` });
    base.model.dispose();
    return swapped.net;
  });
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'finetune', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/**
 * Our method: all 16 blocks swapped at once, initialised by SVD of the trained kernels, BatchNorm
 * statistics re-estimated on training data, then distilled from the baseline as teacher.
 */
export async function runOurs(ctx: RunContext): Promise<ProtocolResult> {
  const teacher = await ctx.loadBaseline();
  const state = initialState(ctx);
  const net = await startingNet(ctx, async () => {
    const spec = { ...ctx.config.model.swap, init: 'svd' as const };
    const { net: swapped, reports } = swapBlocks(teacher, BLOCKS.map((b) => b.name), spec, ctx.config.seed);
    const err = reports.reduce((s, r) => s + (r.kernelError ?? 0), 0) / reports.length;
    ctx.emit({ type: 'log', level: 'info', message: `SVD initialisation: mean relative kernel error ${err.toFixed(4)} at depth multiplier ${spec.depthMultiplier}` });
    await recalibrateBatchNorm(swapped.model, ctx.data.train, ctx.config.distill.bnRecalibrationBatches, ctx.config.batchSize, ctx.config.seed);
    const zero = await evaluate(swapped.model, ctx.data.test, Math.max(ctx.config.batchSize, 128));
    ctx.emit({ type: 'epoch', metrics: { phase: 'svd+bn', epoch: 0, loss: zero.loss, trainAcc: null, testAcc: zero.acc, testLoss: zero.loss, seconds: 0, samplesPerSec: 0 } });
    return swapped;
  });
  const ok = await trainPhase(ctx, net, state, 'distill', ctx.config.epochs, { teacher: teacher.model });
  teacher.model.dispose();
  if (!ok) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

export { runGreedy } from './greedy';
