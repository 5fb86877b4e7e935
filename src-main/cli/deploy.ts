/** The deployment commands: export-onnx, eval-onnx, inspect --latency, and compare's timing flags. */
import * as path from 'node:path';
import { ORT_PROVIDERS, type BlockLatencyReport, type InferenceTimingConfig, type OnnxEvalResult, type OnnxExportResult } from '../contract';
import type { Host } from '../host/host';
import { choiceFlag, CliError, intFlag, type CliValues } from './args';

/** The timing protocol from --batches, --repeats, --threads, --provider, --no-engine. */
export function timingFlags(v: CliValues): Partial<InferenceTimingConfig> {
  const out: Partial<InferenceTimingConfig> = {};
  if (v.batches !== undefined) {
    out.batches = v.batches.split(',').map((b) => {
      const n = Number(b);
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CliError(`--batches takes batch sizes from 1 to 1024 separated by commas (e.g. 1,64), got '${v.batches}'`);
      return n;
    });
  }
  if (v.repeats !== undefined) out.repeats = intFlag(v.repeats, 'repeats', 7, 5);
  if (v.threads !== undefined) out.threads = intFlag(v.threads, 'threads', 1, 0);
  if (v.provider !== undefined) out.provider = choiceFlag(v.provider, 'provider', ORT_PROVIDERS, 'auto');
  if (v['no-engine']) out.engine = false;
  return out;
}

export function exportLine(r: OnnxExportResult): string {
  const c = r.check;
  return `wrote ${r.path} (${(r.bytes / 2 ** 20).toFixed(2)} MiB, opset ${r.opset}, ${r.foldedBatchNorms} BatchNorms folded) in ${r.seconds.toFixed(1)} s; checked in ONNX Runtime (${c.provider}) on ${c.images} images: max relative error ${c.maxRelError.toExponential(2)} (tolerance ${c.tolerance})`;
}

export function evalLine(r: OnnxEvalResult): string {
  return `${r.path}: test accuracy ${r.testAcc.toFixed(4)} on ${r.images} images of ${r.dataset} (ONNX Runtime, ${r.provider}, ${r.threads} threads, ${r.seconds.toFixed(1)} s)`;
}

export function latencyTable(r: BlockLatencyReport): string {
  const head = `block     M     HxW   dense 3x3 ms/img   DW3x3+1x1 ms/img   speed-up`;
  const rows = r.blocks.map((b) => `${b.label.padEnd(9)} ${String(b.inChannels).padStart(4)} ${`${b.spatial}x${b.spatial}`.padStart(6)}   ${b.dense.median.toFixed(4).padStart(16)}   ${b.separable.median.toFixed(4).padStart(16)}   ${b.speedup.toFixed(2).padStart(7)}x`);
  const foot = `ONNX Runtime ${r.ortVersion} (${r.provider}, ${r.threads} thread), batch ${r.batch}, medians of ${r.blocks[0]?.dense.repeats ?? 0} alternated repeats; ${r.machine}${r.cached ? ' (cached; --refresh measures again)' : ''}`;
  return [head, ...rows, '', foot].join('\n');
}

export async function exportOnnxCommand(host: Host, positionals: string[]): Promise<OnnxExportResult> {
  const [id, file] = positionals;
  if (!id || !file) throw new CliError('usage: dwswap export-onnx RUN_ID FILE.onnx');
  return host.exportOnnx(id, path.resolve(file));
}

export async function evalOnnxCommand(host: Host, positionals: string[], v: CliValues): Promise<OnnxEvalResult> {
  const [file] = positionals;
  if (!file) throw new CliError('usage: dwswap eval-onnx FILE.onnx [--data PATH] [--test-per-class N]');
  return host.evalOnnx(path.resolve(file), { path: v.data ? path.resolve(v.data) : undefined, testPerClass: intFlag(v['test-per-class'], 'test-per-class', 0) });
}
