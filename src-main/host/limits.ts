/**
 * Settings that parse but cannot work, refused at the host's boundary with the field and the fix
 * before a run is created: a depth multiplier larger than a 3x3 kernel can use, and a run whose
 * training would not fit in this machine's memory. Pure arithmetic on the architecture; nothing is
 * built or allocated.
 */
import os from 'node:os';
import { BLOCKS, rankOf, runModel, runSwapped, swappableBlocks as protocolSwappable, type DatasetCheck, type ModelConfig, type RunConfig } from '../contract';
import { IMAGE_BYTES, inspectModel, maxRank, scaled } from '../engine';
import { HostError } from './errors';

/** D^2 for the 3x3 kernels the swap replaces. */
const KERNEL_TAPS = 9;
const GIB = 1024 ** 3;
export const MEMORY_ENV = 'DWSWAP_MEMORY_MB';

/** The blocks a run may swap: the chosen ones (manual), all 16 (greedy, ours), none otherwise. */
export function swappableBlocks(config: RunConfig): string[] {
  if (config.protocol === 'ours' && config.budget?.plan) return runSwapped(config);
  return protocolSwappable(config.protocol, config.protocol === 'manual' ? config.model.swapped : []);
}

/**
 * The rule for a depth multiplier that fits: each input channel's 9 x N slice of a 3x3 kernel has
 * rank at most min(9, N), so r = min(9, N) already reproduces the dense conv exactly and a larger
 * r only adds parameters (zero channels under SVD init, redundant ones under random init). The
 * multiplier is shared by the swapped blocks, so it may go up to the largest such rank among them.
 */
export function checkDepthMultiplier(config: RunConfig): void {
  checkBlockRanks(runModel(config));
  const blocks = BLOCKS.filter((b) => swappableBlocks(config).includes(b.name));
  if (blocks.length === 0) return;
  const d = config.model.widthDivisor;
  const widest = blocks.reduce((a, b) => (b.baseWidth > a.baseWidth ? b : a));
  const n = scaled(widest.baseWidth, d);
  const max = Math.min(KERNEL_TAPS, n);
  const r = runModel(config).swap.depthMultiplier;
  if (r <= max) return;
  throw new HostError(
    'bad-input',
    `depth multiplier ${r} does not fit: a 3x3 kernel has at most min(9, N) = ${max} independent parts per input channel (N = ${n} filters in ${widest.label} at width 1/${d}), so r = ${max} already reproduces the dense conv; use 1 to ${max}`,
    'model.swap.depthMultiplier',
  );
}

/** Each per-block multiplier must fit its own block: r <= min(9, N). */
function checkBlockRanks(model: ModelConfig): void {
  for (const [block, r] of Object.entries(model.blockRanks)) {
    const info = BLOCKS.find((b) => b.name === block)!;
    const max = maxRank(info.baseWidth, model.widthDivisor);
    if (r > max) {
      throw new HostError('bad-input', `depth multiplier ${r} for ${info.label} does not fit: r <= min(9, N) = ${max} there (N = ${scaled(info.baseWidth, model.widthDivisor)} filters at width 1/${model.widthDivisor}); use 1 to ${max}`, 'model.blockRanks');
    }
  }
}

/** The memory the host plans training for: DWSWAP_MEMORY_MB when set, else the machine's RAM. */
export function memoryBudget(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env[MEMORY_ENV]);
  return env[MEMORY_ENV] && Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : os.totalmem();
}

/**
 * Floats per sample a training step keeps for the backward pass: every layer output (conv, BN,
 * ReLU, add) of the stem and the 16 blocks. A lower estimate (no workspace, no teacher).
 */
export function activationsPerSample(cfg: ModelConfig, swapped: readonly string[]): number {
  const d = cfg.widthDivisor;
  const stem = scaled(64, d);
  let side = Math.ceil(cfg.inputSize / 2);
  let total = 3 * side * side * stem;
  side = Math.ceil(side / 2);
  total += side * side * stem;
  for (const b of BLOCKS) {
    if (b.index === 1 && b.stage > 2) side = Math.ceil(side / 2);
    const f = scaled(b.baseWidth, d);
    const r = rankOf(cfg, b.name);
    const between = (cfg.swap.bnBetween ? 1 : 0) + (cfg.swap.bnBetween && cfg.swap.reluBetween ? 1 : 0);
    const conv3 = swapped.includes(b.name) ? f * r * (1 + between) + f : f;
    const shortcut = b.index === 1 ? 2 * 4 * f : 0;
    total += side * side * (2 * f + conv3 + 2 * f + 2 * 4 * f + 2 * 4 * f + shortcut);
  }
  return total;
}

/** Bytes training needs: activations and their gradients, weights, gradients, two optimiser slots, the data. */
export function trainingBytes(config: RunConfig, images: number, batchSize = config.batchSize): number {
  const swapped = swappableBlocks(config);
  const model = runModel(config);
  const params = inspectModel({ ...model, swapped }).totalParams;
  const perSample = activationsPerSample(model, swapped);
  return 4 * (2 * batchSize * perSample + 4 * params + images * (IMAGE_BYTES + config.model.classes));
}

/** Images the run loads: the per-class limits applied to the dataset's counts. */
export function imagesLoaded(config: RunConfig, check: DatasetCheck): number {
  const classes = Math.max(1, check.classes.length);
  const limit = (n: number, perClass: number) => (perClass > 0 ? Math.min(n, perClass * classes) : n);
  return limit(check.train, config.data.trainPerClass) + limit(check.test, config.data.testPerClass);
}

/** Refuses a run whose training would not fit in `budget` bytes, suggesting a batch size that does. */
export function checkMemory(config: RunConfig, check: DatasetCheck, budget: number): void {
  const images = imagesLoaded(config, check);
  const need = trainingBytes(config, images);
  if (need <= budget) return;
  let fits = 0;
  for (let b = 1; b < config.batchSize && trainingBytes(config, images, b) <= budget; b *= 2) fits = b;
  const gib = (x: number) => `${(x / GIB).toFixed(1)} GiB`;
  const what = `training at width 1/${config.model.widthDivisor} with batch ${config.batchSize} on ${images} images needs at least ${gib(need)} but ${gib(budget)} of memory is available`;
  if (fits > 0)
    throw new HostError(
      'bad-input',
      `${what}; lower the batch size to ${fits} or less, or raise the width divisor`,
      'batchSize',
    );
  throw new HostError(
    'bad-input',
    `${what}; raise the width divisor or use fewer images per class`,
    'model.widthDivisor',
  );
}
