/**
 * The engine's own training loop on the wasm backend (with this project's kernels) against the
 * reference `cpu` backend: the same loss trajectory, weights, evaluation and BatchNorm
 * re-estimation within float tolerance; no growth of tensors or wasm buffers over epochs; and a
 * cancelled-and-resumed run bit-identical to the uninterrupted one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cifar } from '../src-main/engine/data';
import { installCpuKernels } from '../src-main/engine/cpu-kernels';
import { FusedAdam, setLearningRate } from '../src-main/engine/optim';
import { ADAM_KERNEL } from '../src-main/engine/wasm/adam';
import { startWasm } from '../src-main/engine/wasm/load';
import { disableSimdKernels, simdFor } from '../src-main/engine/wasm/simd';
import { firstGradients, maxDiff, resumeDifference, runScenario, tinyCifar, worstGradient, type ScenarioResult } from './helpers/backend-runs';

let cifar: Cifar;
let onCpu: ScenarioResult;
let onWasm: ScenarioResult;
let gradCpu: Awaited<ReturnType<typeof firstGradients>>;
let gradWasm: Awaited<ReturnType<typeof firstGradients>>;

beforeAll(async () => {
  cifar = await tinyCifar(fs.mkdtempSync(path.join(os.tmpdir(), 'dw-wasm-')));
  await tf.setBackend('cpu');
  installCpuKernels();
  onCpu = await runScenario(cifar);
  gradCpu = await firstGradients(cifar);
  expect(await startWasm()).toMatch(/WebAssembly, XNNPACK/);
  onWasm = await runScenario(cifar);
  gradWasm = await firstGradients(cifar);
}, 600_000);

describe('training on the wasm backend', () => {
  it("computes the cpu backend's gradients for every weight of the whole model (first batch, to 1e-3 of each weight's largest)", () => {
    const worst = worstGradient(gradCpu, gradWasm);
    expect(worst.compared, 'weights compared').toBeGreaterThan(100);
    expect(worst.relative, `worst: ${worst.name}`).toBeLessThan(1e-3);
  });

  it("follows the cpu backend's loss trajectory (first loss to float tolerance; see backend-runs.ts for why later ones only loosely)", () => {
    expect(tf.getBackend()).toBe('wasm');
    const trace = `cpu ${onCpu.firstLoss} ${onCpu.losses.join(' ')} / wasm ${onWasm.firstLoss} ${onWasm.losses.join(' ')}`;
    expect(Math.abs(onWasm.firstLoss - onCpu.firstLoss), trace).toBeLessThan(1e-4 * onCpu.firstLoss);
    onWasm.losses.forEach((l, i) =>
      expect(Math.abs(l - onCpu.losses[i]), `epoch ${i + 1}: ${trace}`).toBeLessThan(0.25 * onCpu.losses[i]),
    );
  });

  it('re-estimates BatchNorm statistics and evaluates like the cpu backend', () => {
    const scale = Math.max(...Array.from(onCpu.bnMean, Math.abs));
    expect(maxDiff(onWasm.bnMean, onCpu.bnMean), 'moving means after re-estimation').toBeLessThan(1e-4 * scale);
    expect(onWasm.test.acc).toBe(onCpu.test.acc);
    expect(Math.abs(onWasm.test.loss - onCpu.test.loss), `${onWasm.test.loss} vs ${onCpu.test.loss}`).toBeLessThan(
      1e-4 * onCpu.test.loss,
    );
  });

  it('keeps the number of tensors and wasm buffers constant from epoch to epoch', () => {
    expect(new Set(onWasm.tensorsAfterEpoch).size, `tensors ${onWasm.tensorsAfterEpoch}`).toBe(1);
    expect(new Set(onWasm.buffersAfterEpoch).size, `buffers ${onWasm.buffersAfterEpoch}`).toBe(1);
  });

  it('resumes a cancelled run bit-identically', async () => {
    const r = await resumeDifference(cifar);
    expect(r.maxDiff, `final loss ${r.resumedLoss} vs ${r.straightLoss}`).toBe(0);
  });
});

describe('fused Adam on the wasm backend', () => {
  it("is TF.js's Adam bit for bit: values, both moments and the beta powers over steps, with the learning rate changed between them", async () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(ADAM_KERNEL, 'wasm'), 'the fused kernel is registered').toBeTruthy();
    const shapes = [[3, 3, 4, 8], [8], [33, 10]];
    const start = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 10 + i));
    const run = async (opt: tf.Optimizer) => {
      const vars = start.map((t, i) => tf.variable(t.clone(), true, `adam-${opt.constructor.name}-${i}`));
      for (let step = 0; step < 5; step++) {
        setLearningRate(opt, 1e-3 * (step + 1));
        const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, step === 2 ? 1e-6 : 1, 'float32', 100 * step + i + 1)]));
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      const weights = await opt.getWeights();
      const betas = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      const out = { values: vars.map((v) => v.dataSync().slice()), slots: weights.slice(1).map((w) => w.tensor.dataSync().slice()), iterations: weights[0].tensor.dataSync()[0], betaPowers: [betas.accBeta1.dataSync()[0], betas.accBeta2.dataSync()[0]] };
      tf.dispose(vars);
      return out;
    };
    expect(simdFor(tf.backend()), 'the SIMD kernels load on this runtime').not.toBeNull();
    const fused = new FusedAdam(1e-3, 0.9, 0.999, 1e-7);
    const stock = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
    const scalar = new FusedAdam(1e-3, 0.9, 0.999, 1e-7);
    const [a, b] = [await run(fused), await run(stock)];
    disableSimdKernels();
    const c = await run(scalar);
    disableSimdKernels(false);
    c.values.forEach((v, i) => expect(Array.from(v), `JavaScript kernel, variable ${i}`).toEqual(Array.from(b.values[i])));
    expect(a.iterations).toBe(b.iterations);
    expect(a.betaPowers, 'beta1^t and beta2^t').toEqual(b.betaPowers);
    expect(a.betaPowers[0], 'TF.js keeps beta^(t+1), ready for the next step').toBeCloseTo(0.9 ** 6, 6);
    expect(a.slots).toHaveLength(2 * shapes.length);
    a.values.forEach((v, i) => expect(Array.from(v), `variable ${i}`).toEqual(Array.from(b.values[i])));
    a.slots.forEach((v, i) => expect(Array.from(v), `moment ${i}`).toEqual(Array.from(b.slots[i])));
    const moved = a.values.map((v, i) => maxDiff(v, start[i].dataSync() as Float32Array));
    for (const d of moved) expect(d, 'the variables did move').toBeGreaterThan(0);
    tf.dispose(start);
    fused.dispose();
    stock.dispose();
    scalar.dispose();
  });
});
