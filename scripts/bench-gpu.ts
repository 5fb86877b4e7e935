/**
 * GPU benchmark (issue #5): training speed of the classical and the all-swapped ResNet-50 through
 * the engine's own train() step, and inference time over the test set at batch 1 and a large
 * batch, on one backend. Writes bench-gpu.json after every measurement (atomically), so a run
 * killed by a timeout still leaves what it measured. docs/gpu.md says how to run it on the GPU
 * machine (bundled by scripts/gpu/bundle.sh); `--help` lists the options. Here, on the CPU:
 *
 *   npx tsx scripts/bench-gpu.ts --backend cpu --width 16 --batch 8 --steps 2 --infer-images 32 --out .tmp/bench
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULTS, parseBenchArgs, type BenchOptions } from './gpu/options';
import type { BenchReport } from './gpu/report';
import { BenchRun, type BenchEvent } from './gpu/runner';

export type { BenchEvent };

/** Runs the benchmark; a failed measurement lands in report.errors, a failed start in report.fatal. */
export async function runBenchmark(
  options: Partial<BenchOptions> = {},
  onEvent?: (e: BenchEvent) => void,
): Promise<BenchReport> {
  const run = new BenchRun({ ...DEFAULTS, ...options }, onEvent);
  if (!(await run.start())) return run.report;
  for (const task of run.plan()) await run.runTask(task);
  run.finish();
  return run.report;
}

/** One line: what was measured, and the best training epoch against the target. */
export function summaryLine(r: BenchReport): string {
  const best = r.target.bestEpochSeconds;
  const verdict =
    best === null
      ? 'no training result'
      : `best epoch ${best.toFixed(1)} s (target <= ${r.target.epochSeconds} s: ${r.target.met ? 'met' : 'not met'})`;
  const counts = `${r.training.length} training and ${r.inference.length} inference results, ${r.skipped.length} skipped, ${r.errors.length} errors`;
  return `bench-gpu: backend ${r.backend?.chosen ?? '?'}; ${counts}; ${verdict}`;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  }
  const report = await runBenchmark(options, (e) =>
    console.error(`[bench-gpu ${e.at.toFixed(1)}s] ${e.kind}: ${e.text}`),
  );
  if (report.fatal) {
    console.error(`bench-gpu: ${report.fatal}`);
    process.exit(1);
  }
  console.log(summaryLine(report));
  process.exit(0); // Dawn's device can keep the event loop alive
}

function isEntry(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) void main();
