/**
 * CPU-backend training-step benchmark: the engine's own train() on the 1/16-width ResNet-50, with
 * TF.js's stock cpu kernels and with the replacements in src-main/engine/cpu-kernels.ts, each in a
 * fresh process (kernel registration is process-wide). Writes docs/results/bench-cpu.json.
 *
 *   npm run bench:cpu [-- --steps N --batch B --width W --out FILE]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { installCpuKernels } from '../src-main/engine/cpu-kernels';
import { OPTIMISER_PRESETS } from '../src-main/contract';
import { createOptimiser } from '../src-main/engine/optim';
import { buildResNet50 } from '../src-main/engine/resnet';
import { train } from '../src-main/engine/train';

const { values } = parseArgs({
  options: {
    kernels: { type: 'string' },
    steps: { type: 'string', default: '8' },
    batch: { type: 'string', default: '32' },
    width: { type: 'string', default: '16' },
    out: { type: 'string', default: 'docs/results/bench-cpu.json' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const width = Number(values.width);

/** One measurement in this process: ms per training step after two warm-up steps. */
async function measure(kernels: 'stock' | 'fast'): Promise<{ kernels: string; msPerStep: number; samplesPerSec: number }> {
  await tf.setBackend('cpu');
  if (kernels === 'fast') installCpuKernels();
  const model = buildResNet50({ widthDivisor: width, zeroInitResidual: true }, 1);
  const n = batch * (steps + 2);
  const data = { x: tf.randomNormal([n, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D, y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 2) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D };
  const run = (count: number) =>
    train(model, data, { phase: 'bench', epochs: 1, batchSize: batch, seed: 1, optimiser: createOptimiser(OPTIMISER_PRESETS.fast), optimiserConfig: OPTIMISER_PRESETS.fast, augment: true, maxBatches: count });
  await run(2);
  const t0 = performance.now();
  await run(steps);
  const ms = (performance.now() - t0) / steps;
  return { kernels, msPerStep: ms, samplesPerSec: (batch * 1000) / ms };
}

if (values.kernels === 'stock' || values.kernels === 'fast') {
  process.stdout.write(JSON.stringify(await measure(values.kernels)));
} else {
  const self = fileURLToPath(import.meta.url);
  const tsx = path.resolve(path.dirname(self), '../node_modules/.bin/tsx');
  const args = ['--steps', String(steps), '--batch', String(batch), '--width', String(width)];
  const one = (k: string) => JSON.parse(execFileSync(tsx, [self, '--kernels', k, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const stock = one('stock');
  const fast = one('fast');
  const doc = {
    command: `npm run bench:cpu -- --steps ${steps} --batch ${batch} --width ${width}`,
    created: new Date().toISOString(),
    backend: 'cpu (TF.js pure JavaScript)',
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, load_average_1m_at_end: os.loadavg()[0] },
    config: { model: `ResNet-50 at 1/${width} width`, batch, steps, augment: true, optimiser: 'Adam (fast preset)' },
    results: [stock, fast],
    speedup: stock.msPerStep / fast.msPerStep,
  };
  fs.mkdirSync(path.dirname(values.out!), { recursive: true });
  fs.writeFileSync(values.out!, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}
