/**
 * The sensitivity run kind: from a trained baseline, the per-block, per-r table (no training, no
 * model of its own). Its final metrics are the baseline's, measured again here, with the table.
 */
import type { ProtocolResult, RunContext } from '../run-context';
import type { RunConfigOf } from '../../contract';
import { measureFinal } from '../measure';
import { SensitivityConfigSchema } from '../../contract';
import { selectionData } from './data';
import { sensitivityAnalysis } from './sensitivity';

export async function runSensitivity(ctx: RunContext<RunConfigOf<'sensitivity'>>): Promise<ProtocolResult> {
  const cfg = ctx.config;
  const s = cfg.sensitivity ?? SensitivityConfigSchema.parse({});
  const base = await ctx.loadBaseline();
  const evalData = selectionData(ctx, s.evaluateOn);
  const table = await sensitivityAnalysis(base, { train: ctx.data.train, eval: evalData }, {
    ranks: s.ranks,
    bnRecalibrationBatches: s.bnRecalibrationBatches,
    batchSize: cfg.batchSize,
    evalBatch: Math.max(cfg.batchSize, 128),
    seed: cfg.seed,
    evaluatedOn: s.evaluateOn,
    signal: ctx.signal,
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
