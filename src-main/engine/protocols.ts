/**
 * The experiments the workbench exists for, as resumable procedures over the engine:
 * baseline, the study's greedy protocol, our method (all blocks, SVD init, BN re-estimation,
 * distillation), a manual swap, and the equal-compute control. Each reports through typed events,
 * checkpoints at safe points and can resume from its last checkpoint with the same result.
 */
import * as tf from '@tensorflow/tfjs';
import { runBlockRanks, runModel, runSwapped, type BudgetPlan, type FinalMetrics, type RunConfig, type RunConfigOf } from '../contract';
import { runEta } from './eta';
import { runGreedy } from './greedy';
import { runSensitivity } from './select/run-sensitivity';
import { evaluate } from './metrics';
import { measureFinal } from './measure';
import { createOptimiser } from './optim';
import { buildResNet50 } from './resnet';
import { swapBlocks, type Net } from './swap';
import { recalibrateBatchNorm, train, type TrainProgress } from './train';
import { loadNetFromDir, restoreOptimiser, serialiseNet, deserialiseNet } from './modelio';
import { CANCELLED, type CheckpointState, type ProtocolResult, type RunContext, type RunJob } from './run-context';

export type { CheckpointState, EngineEvent, ProtocolResult, RunContext, RunJob } from './run-context';
export { runGreedy, runSensitivity };

/** Trains `net` for the phase's epochs, checkpointing each epoch; resumes inside the phase. */
async function trainPhase(
  ctx: RunContext<RunConfigOf<'baseline' | 'ours' | 'manual' | 'control'>>,
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
    optimiserConfig: cfg.optimiser,
    augment: cfg.data.augment,
    teacher: extra.teacher,
    distill: extra.teacher && cfg.protocol === 'ours' ? cfg.distill : undefined,
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

function initialState(ctx: RunContext<RunConfig>): CheckpointState {
  return ctx.checkpoint ? { ...ctx.checkpoint.state } : { phase: 'start', epoch: 0, epochsSpent: 0, trainSeconds: 0 };
}

async function startingNet(ctx: RunContext<RunConfig>, fresh: () => Promise<Net>): Promise<Net> {
  return ctx.checkpoint ? deserialiseNet(ctx.checkpoint.files) : fresh();
}

/** Baseline: the classical ResNet-50 trained from scratch. */
export async function runBaseline(ctx: RunContext<RunConfigOf<'baseline'>>): Promise<ProtocolResult> {
  const cfg = runModel(ctx.config);
  const fresh = async (): Promise<Net> => ({ model: buildResNet50(cfg, ctx.config.seed), config: cfg });
  const initFrom = ctx.config.initFrom;
  const imported = async (from: string): Promise<Net> => {
    const net = await loadNetFromDir(from);
    ctx.emit({ type: 'log', level: 'info', message: `started from ${from} (${net.config.swapped.length} blocks swapped, 1/${net.config.widthDivisor} width)` });
    return net;
  };
  const net = await startingNet(ctx, initFrom ? () => imported(initFrom) : fresh);
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'train', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/** Equal-compute control: the baseline trained on for `epochs` more epochs with the run's optimiser. */
export async function runControl(ctx: RunContext<RunConfigOf<'control'>>): Promise<ProtocolResult> {
  const net = await startingNet(ctx, () => ctx.loadBaseline());
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'train', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/** Manual: exactly the chosen blocks swapped (chosen init), then fine-tuned. */
export async function runManual(ctx: RunContext<RunConfigOf<'manual'>>): Promise<ProtocolResult> {
  const net = await startingNet(ctx, async () => {
    const classical = { ...runModel(ctx.config), swapped: [] };
    const base = ctx.config.baselineRunId ? await ctx.loadBaseline() : { model: buildResNet50(classical, ctx.config.seed), config: classical };
    const swapped = await swapBlocks(base, ctx.config.model.swapped, ctx.config.model.swap, ctx.config.seed, runBlockRanks(ctx.config));
    for (const r of swapped.reports) ctx.emit({ type: 'log', level: 'info', message: `${r.block}: ${r.init} init${r.kernelError === null ? '' : `, kernel error ${r.kernelError.toFixed(4)}`}` });
    base.model.dispose();
    return swapped.net;
  });
  const state = initialState(ctx);
  if (!(await trainPhase(ctx, net, state, 'finetune', ctx.config.epochs))) return CANCELLED;
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: [] };
}

/**
 * Our method: all 16 blocks (or a budget's chosen blocks at their own r) swapped at once,
 * initialised by SVD of the trained kernels, BatchNorm statistics re-estimated on training data,
 * then distilled from the baseline as teacher.
 */
export async function runOurs(ctx: RunContext<RunConfigOf<'ours'>>): Promise<ProtocolResult> {
  const teacher = await ctx.loadBaseline();
  const state = initialState(ctx);
  const plan = ctx.config.budget?.plan;
  const evalBatch = Math.max(ctx.config.batchSize, 128);
  let zeroShot: { test: number; val: number | null } | null = null;
  const net = await startingNet(ctx, async () => {
    const spec = ctx.config.model.swap;
    const blocks = runSwapped(ctx.config);
    const ranks = runBlockRanks(ctx.config);
    const { net: swapped, reports } = await swapBlocks(teacher, blocks, spec, ctx.config.seed, ranks);
    const err = reports.reduce((s, r) => s + (r.kernelError ?? 0), 0) / Math.max(1, reports.length);
    const at = Object.keys(ranks).length ? `per-block depth multipliers ${Object.entries(ranks).map(([b, r]) => `${b}:${r}`).join(', ')} (others ${spec.depthMultiplier})` : `depth multiplier ${spec.depthMultiplier}`;
    ctx.emit({ type: 'log', level: 'info', message: `SVD initialisation of ${reports.length} blocks: mean relative kernel error ${err.toFixed(4)} at ${at}` });
    await recalibrateBatchNorm(swapped.model, ctx.data.train, ctx.config.distill.bnRecalibrationBatches, ctx.config.batchSize, ctx.config.seed);
    const zero = await evaluate(swapped.model, ctx.data.test, evalBatch);
    const zeroVal = ctx.data.val ? (await evaluate(swapped.model, ctx.data.val, evalBatch)).acc : null;
    zeroShot = { test: zero.acc, val: zeroVal };
    ctx.emit({ type: 'epoch', metrics: { phase: 'svd+bn', epoch: 0, loss: zero.loss, trainAcc: null, testAcc: zero.acc, testLoss: zero.loss, seconds: 0, samplesPerSec: 0, ...(zeroVal === null ? {} : { valAcc: zeroVal }) } });
    return swapped;
  });
  const ok = await trainPhase(ctx, net, state, 'distill', ctx.config.epochs, { teacher: teacher.model });
  teacher.model.dispose();
  if (!ok) return CANCELLED;
  const final = await measureFinal(ctx, net, state);
  if (plan) final.budget = budgetOutcome(plan, final, zeroShot);
  return { cancelled: false, net, final, greedy: [] };
}

/**
 * The budget's predicted drop next to the measured ones, on the set the prediction was made on.
 * The drop right after the swap is unknown (null) for a run resumed past it.
 */
function budgetOutcome(plan: BudgetPlan, final: FinalMetrics, zeroShot: { test: number; val: number | null } | null): FinalMetrics['budget'] {
  const onTest = plan.evaluatedOn === 'test';
  const finalAcc = onTest ? final.testAcc : (final.valAcc ?? null);
  const zero = zeroShot ? (onTest ? zeroShot.test : zeroShot.val) : null;
  return {
    predictedDrop: plan.predictedDrop,
    zeroShotDrop: zero === null ? null : plan.baselineAcc - zero,
    finalDrop: finalAcc === null ? null : plan.baselineAcc - finalAcc,
  };
}

/**
 * Runs the configuration's protocol (the one switch over the union), with every progress event's
 * ETA being the run's, from the run fraction's pace since this call started.
 */
export function runProtocol(ctx: RunJob): Promise<ProtocolResult> {
  const c = { ...ctx, emit: runEta(ctx.emit) };
  const config = ctx.config;
  switch (config.protocol) {
    case 'baseline':
      return runBaseline({ ...c, config });
    case 'greedy':
      return runGreedy({ ...c, config });
    case 'ours':
      return runOurs({ ...c, config });
    case 'manual':
      return runManual({ ...c, config });
    case 'control':
      return runControl({ ...c, config });
    case 'sensitivity':
      return runSensitivity({ ...c, config });
  }
}
