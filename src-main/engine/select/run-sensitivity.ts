/**
 * The sensitivity run kind: from a trained baseline, the per-block, per-r table (no training, no
 * model of its own). Its final metrics are the baseline's, measured again here, with the table.
 */
import type { ProtocolResult, RunContext } from '../run-context';
import type { LatencyTable, RunConfigOf } from '../../contract';
import type { Net } from '../swap';
import { yieldToLoop } from '../data/types';
import { measureLatencyTable } from '../onnx/latency';
import { measureFinal } from '../measure';
import { SensitivityConfigSchema } from '../../contract';
import { selectionData } from './data';
import { sensitivityAnalysis } from './sensitivity';

export async function runSensitivity(ctx: RunContext<RunConfigOf<'sensitivity'>>): Promise<ProtocolResult> {
  const cfg = ctx.config;
  const s = cfg.sensitivity ?? SensitivityConfigSchema.parse({});
  const base = await ctx.loadBaseline();
  const evalData = selectionData(ctx, s.evaluateOn);
  const timed = await latencyOf(ctx, base, s.ranks);
  if (timed === 'cancelled') {
    base.model.dispose();
    return { cancelled: true, net: null, final: null, greedy: [] };
  }
  const table = await sensitivityAnalysis(base, { train: ctx.data.train, eval: evalData }, {
    ranks: s.ranks,
    bnRecalibrationBatches: s.bnRecalibrationBatches,
    batchSize: cfg.batchSize,
    evalBatch: Math.max(cfg.batchSize, 128),
    seed: cfg.seed,
    evaluatedOn: s.evaluateOn,
    signal: ctx.signal,
    latency: timed.table,
    latencyNote: timed.note,
    onProgress: (done, total, seconds, row) => {
      const rate = done > 0 ? (done * evalData.x.shape[0]) / seconds : 0;
      ctx.emit({
        type: 'progress',
        fraction: total ? done / total : 1,
        progress: { phase: row ? `sensitivity ${row.label} r=${row.r}` : 'sensitivity', epoch: 0, epochs: 1, batch: done, batches: total, loss: 0, acc: row?.acc ?? 0, samplesPerSec: rate },
      });
    },
  });
  if (!table) {
    base.model.dispose();
    return { cancelled: true, net: null, final: null, greedy: [] };
  }
  ctx.emit({ type: 'log', level: 'info', message: `sensitivity: ${table.rows.length} candidates in ${table.seconds.toFixed(1)} s on ${table.images} ${s.evaluateOn} images (${table.skipped.length} left out)` });
  const final = await measureFinal(ctx, base, { phase: 'sensitivity', epoch: 0, epochsSpent: 0, trainSeconds: 0 });
  base.model.dispose();
  return { cancelled: false, net: null, final: { ...final, sensitivity: table }, greedy: [] };
}

class Cancelled extends Error {}

/**
 * The ONNX Runtime latency table of the baseline (whole model, and each block dense vs separable at
 * each r; 1 thread, batch 64, CPU provider, alternated medians), for inference-time budgets. When
 * ONNX Runtime cannot run here the analysis goes on without it and says why.
 */
async function latencyOf(ctx: RunContext<RunConfigOf<'sensitivity'>>, base: Net, ranks: number[]): Promise<{ table: LatencyTable | null; note: string | null } | 'cancelled'> {
  ctx.emit({ type: 'progress', fraction: 0, progress: { phase: 'ONNX Runtime latency (whole model, dense vs separable per stage)', epoch: 0, epochs: 1, batch: 0, batches: 1, loss: 0, acc: 0, samplesPerSec: 0 } });
  const t0 = performance.now();
  try {
    const table = await measureLatencyTable(base.model, base.config, ranks, {
      batch: 64,
      threads: 1,
      provider: 'cpu',
      repeats: 5,
      between: async () => {
        if (ctx.signal.aborted) throw new Cancelled();
        await yieldToLoop();
      },
    });
    ctx.emit({ type: 'log', level: 'info', message: `ONNX Runtime ${table.ortVersion} latency (${table.provider}, ${table.threads} thread, batch ${table.batch}): classical ${table.classicalMs.toFixed(4)} ms/image; measured in ${((performance.now() - t0) / 1000).toFixed(1)} s` });
    return { table, note: null };
  } catch (e) {
    if (e instanceof Cancelled) return 'cancelled';
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    ctx.emit({ type: 'log', level: 'warn', message: `no ONNX Runtime latency table (${why}); the table has MACs, and inference-time budgets are unavailable for it: reinstall onnxruntime-node (npm ci) and run the sensitivity analysis again for one` });
    return { table: null, note: `ONNX Runtime could not time the model: ${why}` };
  }
}
