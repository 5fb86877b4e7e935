/**
 * The study's greedy protocol: from a trained baseline, swap one block at a time top to bottom
 * (conv2_1 ... conv5_3), fine-tune (the study: RMSprop centered, lr 1e-5, cross-entropy), and keep
 * the swap only if accuracy stays at or above the threshold; otherwise restore the model as it
 * was before that swap. Accuracy is measured on the validation split by default; the study's exact
 * rule (test accuracy, which lets the test set choose the model) is `greedy.selectOn: 'test'`. A second pass then tries, bottom to top, the blocks still classical.
 * Checkpoints after every decision, so a resumed run redoes at most the block it was on.
 */
import { BLOCKS, SELECT_ON_LABEL, type GreedyRecord, type RunConfigOf, type SelectOn } from '../contract';
import { yieldToLoop } from './data/types';
import { evaluate } from './metrics';
import { measureFinal } from './measure';
import { deserialiseNet, serialiseNet } from './modelio';
import { createOptimiser } from './optim';
import type { CheckpointState, ProtocolResult, RunContext } from './run-context';
import { selectionData } from './select/data';
import { swapBlocks, type Net } from './swap';
import { train } from './train';

type GreedyContext = RunContext<RunConfigOf<'greedy'>>;

interface Step {
  pass: 1 | 2;
  block: string;
  label: string;
}

/** Pass 1 visits every block top to bottom; pass 2 the ones pass 1 rejected, bottom to top. */
export function greedySchedule(records: GreedyRecord[], secondPass: boolean): Step[] {
  const first: Step[] = BLOCKS.map((b) => ({ pass: 1, block: b.name, label: b.label }));
  if (!secondPass || records.filter((r) => r.pass === 1).length < BLOCKS.length) return first;
  const rejected = new Set(records.filter((r) => r.pass === 1 && !r.kept).map((r) => r.block));
  const second: Step[] = [...BLOCKS].reverse().filter((b) => rejected.has(b.name)).map((b) => ({ pass: 2, block: b.name, label: b.label }));
  return [...first, ...second];
}

async function fineTune(ctx: GreedyContext, net: Net, step: Step, done: number, total: () => number): Promise<{ ok: boolean; seconds: number }> {
  const cfg = ctx.config;
  const epochs = cfg.greedy.fineTuneEpochs;
  if (epochs === 0) return { ok: true, seconds: 0 };
  const optimiser = createOptimiser(cfg.optimiser);
  let seconds = 0;
  const result = await train(net.model, ctx.data.train, {
    phase: `${step.label} (pass ${step.pass})`,
    epochs,
    batchSize: cfg.batchSize,
    seed: cfg.seed + done,
    optimiser,
    optimiserConfig: cfg.optimiser,
    augment: cfg.data.augment,
    signal: ctx.signal,
    progressInterval: ctx.progressInterval,
    onProgress: (p) => ctx.emit({ type: 'progress', progress: p, fraction: (done + (p.epoch + p.batch / p.batches) / p.epochs) / total() }),
    onEpochEnd: (_e, metrics) => {
      seconds += metrics.seconds;
      ctx.emit({ type: 'epoch', metrics });
    },
  });
  optimiser.dispose();
  return { ok: !result.cancelled, seconds };
}

/** Accuracy on the selection set, and on the test set only to report it (the same number when choosing on test). */
async function accuracies(ctx: GreedyContext, net: Net, evalBatch: number): Promise<{ select: number; test: number; val: number | null }> {
  const on = selectOnOf(ctx);
  const select = (await evaluate(net.model, selectionData(ctx, on), evalBatch)).acc;
  const test = on === 'test' ? select : (await evaluate(net.model, ctx.data.test, evalBatch)).acc;
  return { select, test, val: on === 'validation' ? select : null };
}

/** A run stored before selectOn existed (resumed now) chose on test, as the study did. */
function selectOnOf(ctx: GreedyContext): SelectOn {
  return ctx.config.greedy.selectOn ?? 'test';
}

function passes(acc: number, baselineAcc: number, ctx: GreedyContext): boolean {
  const g = ctx.config.greedy;
  return acc >= (g.thresholdMode === 'relative' ? g.threshold * baselineAcc : g.threshold);
}

export async function runGreedy(ctx: GreedyContext): Promise<ProtocolResult> {
  const cfg = ctx.config;
  const evalBatch = Math.max(cfg.batchSize, 128);
  const state: CheckpointState = ctx.checkpoint
    ? { ...ctx.checkpoint.state }
    : { phase: 'greedy', epoch: 0, epochsSpent: 0, trainSeconds: 0, greedy: { pass: 1, index: 0, records: [] } };
  const g = state.greedy!;
  let net = ctx.checkpoint ? await deserialiseNet(ctx.checkpoint.files) : await ctx.loadBaseline();
  const baseline = ctx.checkpoint ? await ctx.loadBaseline() : null;
  const on = selectOnOf(ctx);
  const baselineAcc = (await evaluate((baseline ?? net).model, selectionData(ctx, on), evalBatch)).acc;
  baseline?.model.dispose();
  ctx.emit({ type: 'log', level: 'info', message: `baseline accuracy ${baselineAcc.toFixed(4)} on the ${SELECT_ON_LABEL[on]}; swaps are kept by accuracy on it` });
  let schedule = greedySchedule(g.records, cfg.greedy.secondPass);
  const total = () => Math.max(schedule.length, BLOCKS.length);
  for (let i = g.index; i < greedySchedule(g.records, cfg.greedy.secondPass).length; i++) {
    schedule = greedySchedule(g.records, cfg.greedy.secondPass);
    const step = schedule[i];
    const candidate = (await swapBlocks(net, [step.block], cfg.model.swap, cfg.seed + i)).net;
    const tuned = await fineTune(ctx, candidate, step, i, total);
    if (!tuned.ok) {
      candidate.model.dispose();
      return { cancelled: true, net: null, final: null, greedy: g.records };
    }
    const acc = await accuracies(ctx, candidate, evalBatch);
    const record: GreedyRecord = { block: step.block, label: step.label, pass: step.pass, testAcc: acc.test, ...(acc.val === null ? {} : { valAcc: acc.val }), kept: passes(acc.select, baselineAcc, ctx) };
    g.records.push(record);
    ctx.emit({ type: 'greedy', record });
    if (record.kept) {
      net.model.dispose();
      net = candidate;
    } else {
      candidate.model.dispose();
    }
    state.epochsSpent += cfg.greedy.fineTuneEpochs;
    state.trainSeconds += tuned.seconds;
    Object.assign(g, { pass: step.pass, index: i + 1 });
    await ctx.saveCheckpoint(await serialiseNet(net), { ...state, greedy: { ...g, records: [...g.records] } });
    await yieldToLoop();
  }
  return { cancelled: false, net, final: await measureFinal(ctx, net, state), greedy: g.records };
}
