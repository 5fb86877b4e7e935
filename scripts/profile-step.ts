/**
 * Where a training step's time goes, per kernel: one Adam step of the ResNet-50 at --width on the
 * chosen backend (batch 32, random data), after warm-up steps, under tf.profile; kernels summed by
 * name and sorted. Writes JSON (--out) with the machine, backend and load average.
 *
 * For A/Bs: --stock-adam uses TF.js's own Adam instead of the fused one (optim.ts FusedAdam);
 * --stock-bn tfjs-layers' own training-mode BatchNorm instead of wasm/batchnorm-train.ts;
 * --stock-bn-grad (with --stock-bn) TF.js's own FusedBatchNorm gradient instead of wasm/batchnorm-grad.ts;
 * --no-simd the JavaScript versions of the SIMD module's kernels (simd.wat).
 *
 *   npx tsx scripts/profile-step.ts [--width 4] [--batch 32] [--backend wasm] [--steps 3] [--stock-adam] [--stock-bn] [--stock-bn-grad] [--no-simd] [--out FILE]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { OPTIMISER_PRESETS } from '../src-main/contract';
import { selectBackend } from '../src-main/engine/backend';
import { createOptimiser, FusedAdam } from '../src-main/engine/optim';
import { ADAM_KERNEL } from '../src-main/engine/wasm/adam';
import { buildResNet50 } from '../src-main/engine/resnet';
import { trainableVariables } from '../src-main/engine/train';
import { useStockBatchNormGrad } from '../src-main/engine/wasm/batchnorm-grad';
import { useStockBatchNormTraining } from '../src-main/engine/wasm/batchnorm-train';
import { disableSimdKernels } from '../src-main/engine/wasm/simd';

const { values } = parseArgs({
  options: {
    width: { type: 'string', default: '4' },
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '3' },
    out: { type: 'string' },
    'stock-adam': { type: 'boolean', default: false },
    'stock-bn-grad': { type: 'boolean', default: false },
    'stock-bn': { type: 'boolean', default: false },
    'no-simd': { type: 'boolean', default: false },
  },
});
const width = Number(values.width);
const report = await selectBackend(values.backend as 'wasm');
if (values['stock-bn-grad']) useStockBatchNormGrad();
if (values['stock-bn']) useStockBatchNormTraining();
if (values['no-simd']) disableSimdKernels();
const model = buildResNet50({ widthDivisor: width, zeroInitResidual: true }, 1);
const batch = Number(values.batch);
const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D;
const preset = OPTIMISER_PRESETS.fast;
const opt = values['stock-adam'] ? tf.train.adam(preset.learningRate, 0.9, 0.999, 1e-7) : createOptimiser(preset);
const vars = trainableVariables(model);
const step = () => {
  const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D) as tf.Scalar, true, vars)!;
  loss.dataSync();
  loss.dispose();
};
for (let i = 0; i < 2; i++) step();
const t0 = performance.now();
const steps = Number(values.steps);
for (let i = 0; i < steps; i++) step();
const msPerStep = (performance.now() - t0) / steps;
const prof = await tf.profile(step);
const byName = new Map<string, { ms: number; calls: number }>();
let total = 0;
for (const k of prof.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls += 1;
  byName.set(k.name, e);
  total += ms;
}
const kernels = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([name, e]) => ({ name, ms: +e.ms.toFixed(2), calls: e.calls, share: +(e.ms / total).toFixed(4) }));
const doc = {
  command: `npx tsx scripts/profile-step.ts ${process.argv.slice(2).join(' ')}`.trim(),
  created: new Date().toISOString(),
  backend: report.chosen,
  device: report.device,
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, load_average_1m: os.loadavg()[0] },
  width: `1/${width}`,
  optimiser: `${opt.constructor.name}${opt instanceof FusedAdam && !tf.getKernel(ADAM_KERNEL, tf.getBackend()) ? " (stock update: no fused kernel on this backend)" : ''} (${preset.name}, lr ${preset.learningRate})`,
  batchnorm_training:
    tf.getBackend() !== 'wasm' || values['stock-bn'] || values['no-simd']
      ? `tfjs-layers' own (moments + batchNorm), gradient: ${values['stock-bn-grad'] || tf.getBackend() !== 'wasm' ? "TF.js's own" : 'fused kernel (wasm/batchnorm-grad.ts)'}`
      : 'SIMD kernels (wasm/batchnorm-train.ts)',
  simd_module: tf.getBackend() === 'wasm' && !values['no-simd'],
  batch,
  ms_per_step_unprofiled: msPerStep,
  kernel_ms_total_profiled: total,
  kernels,
};
if (values.out) fs.writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
console.log(`${report.chosen}: ${msPerStep.toFixed(0)} ms/step unprofiled; kernels sum ${total.toFixed(0)} ms`);
for (const k of kernels.slice(0, 30)) console.log(`${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.calls).padStart(5)} calls ${(k.share * 100).toFixed(1).padStart(5)}%`);
