/**
 * Sensitivity analysis: each block swapped alone at each depth multiplier r, initialised by the SVD
 * of its trained 3x3 kernel, the BatchNorm statistics from that block on re-estimated (on the
 * network from that block on, fed the baseline's activations), no training; the accuracy it keeps
 * on the evaluation set (the validation split unless told otherwise), the kernel's reconstruction
 * error, and what the swap saves in parameters, MiB, MACs and (with an ONNX Runtime latency table)
 * inference time.
 */
import * as tf from '@tensorflow/tfjs';
import { BLOCKS, ModelConfigSchema, type LatencyTable, type ModelConfig, type SelectOn, type SensitivityResult, type SensitivityRow } from '../../contract';
import { yieldToLoop } from '../data/types';
import { evaluate, weightsMiB } from '../metrics';
import { inspectModel, maxRank } from '../params';
import { buildResNet50Tail, prefixModel } from '../resnet';
import { copyWeightsByName, initialiseSwap, type Net } from '../swap';
import { mixSeed, permutation, recalibrateBatchNorm, type TensorData } from '../train';
import { MAC_COST, type CostModel } from './cost';

export interface SensitivityOptions {
  ranks: number[];
  bnRecalibrationBatches: number;
  batchSize: number;
  evalBatch: number;
  seed: number;
  evaluatedOn: SelectOn;
  signal?: AbortSignal;
  cost?: CostModel;
  /** ONNX Runtime latencies (measured before the analysis); rows then carry ms saved. */
  latency?: LatencyTable | null;
  /** Why there is no latency table, when there is none. */
  latencyNote?: string | null;
  /** After each candidate: candidates done, their total, seconds so far. */
  onProgress?: (done: number, total: number, seconds: number, row: SensitivityRow | null) => void;
}

interface Candidate {
  block: string;
  label: string;
  r: number;
}

/** The (block, r) pairs to try, and those left out with the reason. */
export function sensitivityCandidates(base: Net, ranks: number[]): { todo: Candidate[]; skipped: SensitivityResult['skipped'] } {
  const todo: Candidate[] = [];
  const skipped: SensitivityResult['skipped'] = [];
  const unique = [...new Set(ranks)].sort((a, b) => a - b);
  for (const b of BLOCKS) {
    const max = maxRank(b.baseWidth, base.config.widthDivisor);
    for (const r of unique) {
      if (base.config.swapped.includes(b.name)) skipped.push({ block: b.label, r, reason: 'already swapped in the baseline' });
      else if (r > max) skipped.push({ block: b.label, r, reason: `r > min(9, N) = ${max}` });
      else todo.push({ block: b.name, label: b.label, r });
    }
  }
  return { todo, skipped };
}

/** ms per image a swap of `block` at r saves in ONNX Runtime, from the latency table; null without one. */
export function msSaved(t: LatencyTable | null | undefined, block: string, r: number): number | null {
  const b = t?.blocks.find((x) => x.block === block);
  const sep = b?.separableMs[String(r)];
  return b && sep !== undefined ? b.denseMs - sep : null;
}

/** The prefix's output for every image of `x`, in inference mode, computed in batches. */
function activations(prefix: tf.LayersModel, x: tf.Tensor4D, batch: number): tf.Tensor4D {
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < x.shape[0]; i += batch) {
    parts.push(tf.tidy(() => prefix.predict(x.slice(i, Math.min(batch, x.shape[0] - i))) as tf.Tensor));
  }
  const out = tf.concat(parts) as tf.Tensor4D;
  tf.dispose(parts);
  return out;
}

/** The training images BatchNorm re-estimation uses: `batches` x `batchSize`, a seeded draw. */
function recalibrationImages(train: TensorData, batches: number, batchSize: number, seed: number): TensorData {
  const n = Math.min(train.x.shape[0], batches * batchSize);
  const idx = tf.tensor1d(permutation(train.x.shape[0], mixSeed(seed, 0xb17)).subarray(0, n), 'int32');
  const out = { x: tf.gather(train.x, idx) as tf.Tensor4D, y: tf.gather(train.y, idx) as tf.Tensor2D };
  idx.dispose();
  return out;
}

/**
 * One candidate on the network from its block on: the block swapped at r (SVD init from the
 * baseline's kernel), the BatchNorm statistics from that block on re-estimated, evaluated on the
 * prefix's activations (the layers before the block are the baseline's and keep its statistics).
 */
async function measureCandidate(base: Net, c: Candidate, acts: { train: TensorData; eval: TensorData }, opts: SensitivityOptions): Promise<{ acc: number; kernelError: number; config: ModelConfig }> {
  const spec = { depthMultiplier: c.r, init: 'svd' as const, bnBetween: false, reluBetween: false };
  const config = ModelConfigSchema.parse({ ...base.config, swapped: [...base.config.swapped, c.block], blockRanks: { ...base.config.blockRanks, [c.block]: c.r } });
  const tail = buildResNet50Tail(config, c.block, acts.eval.x.shape.slice(1), opts.seed);
  copyWeightsByName(base.model, tail);
  const report = await initialiseSwap(base.model, tail, c.block, spec, c.r);
  await recalibrateBatchNorm(tail, acts.train, opts.bnRecalibrationBatches, opts.batchSize, opts.seed);
  const acc = (await evaluate(tail, acts.eval, opts.evalBatch)).acc;
  tail.dispose();
  return { acc, kernelError: report.kernelError ?? Number.NaN, config };
}

/**
 * Runs the analysis; null when cancelled. `data.eval` is what accuracy is measured on. Reuses the
 * baseline's activations: for each block, the input to that block is computed once (inference
 * mode) and every r is tried on the rest of the network only.
 */
export async function sensitivityAnalysis(base: Net, data: { train: TensorData; eval: TensorData }, opts: SensitivityOptions): Promise<SensitivityResult | null> {
  const t0 = performance.now();
  const cost = opts.cost ?? MAC_COST;
  const baseline = await evaluate(base.model, data.eval, opts.evalBatch);
  const classical = inspectModel(base.config);
  const { todo, skipped } = sensitivityCandidates(base, opts.ranks);
  const recal = recalibrationImages(data.train, opts.bnRecalibrationBatches, opts.batchSize, opts.seed);
  const rows: SensitivityRow[] = [];
  opts.onProgress?.(0, todo.length, 0, null);
  for (const block of [...new Set(todo.map((c) => c.block))]) {
    const prefix = prefixModel(base.model, block);
    const acts = { train: { x: activations(prefix, recal.x, opts.evalBatch), y: recal.y }, eval: { x: activations(prefix, data.eval.x, opts.evalBatch), y: data.eval.y } };
    for (const c of todo.filter((t) => t.block === block)) {
      if (opts.signal?.aborted) {
        tf.dispose([acts.train.x, acts.eval.x, recal.x, recal.y]);
        return null;
      }
      const m = await measureCandidate(base, c, acts, opts);
      const paramsSaved = classical.totalParams - inspectModel(m.config).totalParams;
      const row: SensitivityRow = {
        block: c.block,
        label: c.label,
        r: c.r,
        acc: m.acc,
        drop: baseline.acc - m.acc,
        kernelError: m.kernelError,
        paramsSaved,
        mibSaved: weightsMiB(paramsSaved),
        costSaved: cost.blockConv(base.config, c.block, null) - cost.blockConv(base.config, c.block, c.r),
        msSaved: msSaved(opts.latency, c.block, c.r),
      };
      rows.push(row);
      opts.onProgress?.(rows.length, todo.length, (performance.now() - t0) / 1000, row);
      await yieldToLoop();
    }
    tf.dispose([acts.train.x, acts.eval.x]);
  }
  tf.dispose([recal.x, recal.y]);
  return {
    baselineAcc: baseline.acc,
    evaluatedOn: opts.evaluatedOn,
    images: data.eval.x.shape[0],
    ranks: [...new Set(opts.ranks)].sort((a, b) => a - b),
    skipped,
    costUnit: cost.unit,
    // The baseline as given (the classical model when nothing is swapped in it, as usual).
    classical: { params: classical.totalParams, mib: classical.weightsMiB, cost: cost.total(base.config), ms: opts.latency?.classicalMs ?? null },
    rows,
    seconds: (performance.now() - t0) / 1000,
    latency: opts.latency ?? null,
    latencyNote: opts.latency ? null : (opts.latencyNote ?? null),
  };
}
