import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelConfigSchema, RunConfigSchema, runModel } from '../src-main/contract';
import { installCpuKernels } from '../src-main/engine/cpu-kernels';
import { loadCifar10, toTensors } from '../src-main/engine/data';
import { deserialiseNet, loadNetFromDir, serialiseNet } from '../src-main/engine/modelio';
import { categoricalCrossEntropy, createOptimiser, distillationLoss, KerasRMSProp, learningRateAt } from '../src-main/engine/optim';
import { OptimiserSchema } from '../src-main/contract';
import { buildResNet50 } from '../src-main/engine/resnet';
import { recalibrateBatchNorm, train, type TensorData } from '../src-main/engine/train';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

let data: { train: TensorData; test: TensorData };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-train-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
  installCpuKernels();
  const zip = makeTinyCifarZip(tmp, { perClassTrain: 6, perClassTest: 3 });
  const c = await loadCifar10(zip);
  data = { train: toTensors(c.train, c.classes), test: toTensors(c.test, c.classes) };
});

const tiny = () => buildResNet50({ widthDivisor: 16, bnMomentum: 0.5 }, 3);
const cfg = RunConfigSchema.parse({ protocol: 'baseline', data: { path: 'x' }, epochs: 2, batchSize: 20 });

function weightsOf(m: tf.LayersModel): Float32Array {
  return Float32Array.from(m.getWeights().flatMap((w) => Array.from(w.dataSync())));
}

describe('losses against their definitions', () => {
  it('categorical cross-entropy is mean -sum y log p', () => {
    const y = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
    const p = tf.tensor2d([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]);
    const want = -(Math.log(0.7) + Math.log(0.5)) / 2;
    expect(categoricalCrossEntropy(y, p).dataSync()[0]).toBeCloseTo(want, 5);
  });

  it('distillation loss is alpha T^2 KL(teacher_T || student_T) + (1 - alpha) CE', () => {
    const y = tf.tensor2d([[0, 1, 0]]);
    const s = [0.2, 0.7, 0.1];
    const t = [0.1, 0.6, 0.3];
    const T = 3;
    const soft = (p: number[]) => {
      const z = p.map((v) => Math.exp(Math.log(v) / T));
      const sum = z.reduce((a, b) => a + b, 0);
      return z.map((v) => v / sum);
    };
    const [qs, qt] = [soft(s), soft(t)];
    const kl = qt.reduce((acc, q, i) => acc + q * Math.log(q / qs[i]), 0);
    const want = 0.8 * T * T * kl + 0.2 * -Math.log(0.7);
    expect(distillationLoss(y, tf.tensor2d([s]), tf.tensor2d([t]), T, 0.8).dataSync()[0]).toBeCloseTo(want, 5);
  });
});

describe('learning-rate schedules against their definitions', () => {
  const cosine = OptimiserSchema.parse({ preset: 'custom', name: 'adam', learningRate: 0.002, warmupEpochs: 1, schedule: 'cosine' });
  const constant = OptimiserSchema.parse({ preset: 'fast' });
  it('warms up linearly, then follows lr (1 + cos(pi t / T)) / 2 down to 0 over the remaining steps', () => {
    const perEpoch = 10;
    const total = 50;
    expect(learningRateAt(cosine, 0, perEpoch, total)).toBeCloseTo(0.002 / 10, 12);
    expect(learningRateAt(cosine, 9, perEpoch, total)).toBeCloseTo(0.002, 12);
    for (const step of [10, 20, 30, 45, 49]) {
      const t = step - 10;
      expect(learningRateAt(cosine, step, perEpoch, total), `step ${step}`).toBeCloseTo((0.002 * (1 + Math.cos((Math.PI * t) / 40))) / 2, 12);
    }
    expect(learningRateAt(cosine, 30, perEpoch, total), 'half-way after warm-up: half the rate').toBeCloseTo(0.001, 12);
    expect(learningRateAt(cosine, 49, perEpoch, total)).toBeLessThan(0.002 * 0.01);
  });
  it('keeps the rate constant after warm-up by default, and for a run of unknown length', () => {
    expect(constant.schedule).toBe('constant');
    expect(learningRateAt(constant, 35, 10, 50)).toBe(0.001);
    expect(learningRateAt(cosine, 35, 10)).toBe(0.002);
  });
});

describe("Keras' centered RMSprop", () => {
  it('follows ms, mg, var -= lr g / sqrt(ms - mg^2 + eps) step by step, and stays finite for zero gradients', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const opt = new KerasRMSProp(0.01, 0.9, 0, 1e-7, true);
    let ms = [0, 0, 0];
    let mg = [0, 0, 0];
    let ref = [1, -2, 0.5];
    for (let step = 0; step < 3; step++) {
      const g = ref.map((x, i) => (i === 2 ? 0 : 2 * x)); // d/dx x^2, with a zero gradient on the last entry
      opt.applyGradients({ [v.name]: tf.tensor1d(g) });
      ms = ms.map((m, i) => 0.9 * m + 0.1 * g[i] * g[i]);
      mg = mg.map((m, i) => 0.9 * m + 0.1 * g[i]);
      ref = ref.map((x, i) => x - (0.01 * g[i]) / Math.sqrt(ms[i] - mg[i] * mg[i] + 1e-7));
    }
    const got = Array.from(v.dataSync());
    got.forEach((x, i) => expect(x, `entry ${i}`).toBeCloseTo(ref[i], 5));
    expect(got.every(Number.isFinite), 'no NaN where the gradient is zero').toBe(true);
  });
});

describe('fast cpu kernels', () => {
  it('give the same filter gradients, broadcasts and leading-axis reductions as their definitions', () => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([7, 7, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 2, 2, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const grad = tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, 2, 'valid'), dy)))(w);
    // definition: dW[r,c,i,o] = sum_{b,y,x} X[b, 2y+r, 2x+c, i] dY[b,y,x,o]
    const X = x.arraySync();
    const D = dy.arraySync();
    const G = grad.arraySync() as number[][][][];
    for (const [r, c, i, o] of [[0, 0, 0, 0], [6, 6, 2, 3], [3, 1, 1, 2]]) {
      let want = 0;
      for (let b = 0; b < 2; b++) for (let yy = 0; yy < 2; yy++) for (let xx = 0; xx < 2; xx++) want += X[b][2 * yy + r][2 * xx + c][i] * D[b][yy][xx][o];
      expect(G[r][c][i][o], `dW[${r},${c},${i},${o}]`).toBeCloseTo(want, 4);
    }
    const a = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 4);
    const ch = tf.tensor1d([1, 2, 3, 4, 5]);
    const A = a.arraySync() as number[][][][];
    const prod = tf.mul(a, ch).arraySync() as number[][][][];
    expect(prod[1][2][3][4]).toBeCloseTo(A[1][2][3][4] * 5, 5);
    const mask = tf.tensor4d([0, 1], [2, 1, 1, 1]);
    expect(Math.abs((tf.mul(a, mask).arraySync() as number[][][][])[0][1][1][1]), 'per-sample broadcast').toBe(0);
    const sum = tf.sum(a, [0, 1, 2]).arraySync() as number[];
    let s4 = 0;
    for (let b = 0; b < 2; b++) for (let h = 0; h < 3; h++) for (let q = 0; q < 4; q++) s4 += A[b][h][q][4];
    expect(sum[4], 'sum over N,H,W').toBeCloseTo(s4, 4);
    expect((tf.mean(a, [0, 1, 2], true).arraySync() as number[][][][])[0][0][0][4], 'mean keepDims').toBeCloseTo(s4 / 24, 4);
  });
});

describe('training loop', () => {
  it('learns the tiny dataset: training loss falls over a few epochs', async () => {
    const model = tiny();
    const r = await train(model, data.train, { phase: 'train', epochs: 4, batchSize: 20, seed: 1, optimiser: createOptimiser(cfg.optimiser), optimiserConfig: cfg.optimiser, augment: false });
    expect(r.epochs).toHaveLength(4);
    expect(r.epochs[3].loss, `loss ${r.epochs.map((e) => e.loss.toFixed(3)).join(' -> ')}`).toBeLessThan(r.epochs[0].loss);
  });

  it('cancels between batches and, resumed from the epoch checkpoint, ends exactly where an uninterrupted run ends', async () => {
    const opts = (optimiser: tf.Optimizer) => ({ phase: 'train', epochs: 2, batchSize: 20, seed: 7, optimiser, optimiserConfig: cfg.optimiser, augment: true });
    const straight = tiny();
    await train(straight, data.train, opts(createOptimiser(cfg.optimiser)));

    const first = tiny();
    const firstOpt = createOptimiser(cfg.optimiser);
    const controller = new AbortController();
    let checkpoint: Awaited<ReturnType<typeof serialiseNet>> | null = null;
    const partial = await train(first, data.train, {
      ...opts(firstOpt),
      signal: controller.signal,
      progressInterval: 0,
      onEpochEnd: async () => {
        checkpoint = await serialiseNet({ model: first, config: runModel(cfg) }, firstOpt);
      },
      onProgress: (p) => {
        if (p.epoch === 1 && p.batch === 1) controller.abort();
      },
    });
    expect(partial.cancelled, 'the run stopped when asked').toBe(true);
    expect(partial.epochs, 'one epoch completed before the cancel').toHaveLength(1);

    const restored = await deserialiseNet(checkpoint!);
    const opt = createOptimiser(cfg.optimiser);
    const { restoreOptimiser } = await import('../src-main/engine/modelio');
    expect(await restoreOptimiser(opt, checkpoint!), 'optimiser state restored').toBe(true);
    await train(restored.model, data.train, { ...opts(opt), startEpoch: 1 });
    const a = weightsOf(straight);
    const b = weightsOf(restored.model);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff, 'weights identical to the uninterrupted run').toBe(0);
  });

  it('re-estimates BatchNorm moving statistics as the plain average of batch statistics', async () => {
    const model = tiny();
    await recalibrateBatchNorm(model, data.train, 2, 20, 0);
    const [, , mean] = model.getLayer('conv1_bn').getWeights();
    expect(Array.from(mean.dataSync()).some((v) => v !== 0), 'moving mean moved off its initial zeros').toBe(true);
  });
});

describe('model files', () => {
  it('round-trips a swapped model through model.json + weights.bin with identical predictions and config', async () => {
    const model = buildResNet50({ widthDivisor: 16, swapped: ['conv3_block2', 'conv5_block1'], swap: { depthMultiplier: 2, bnBetween: true } }, 4);
    const cfgIn = ModelConfigSchema.parse({ ...cfg.model, widthDivisor: 16, swapped: ['conv3_block2', 'conv5_block1'], swap: { depthMultiplier: 2, bnBetween: true } });
    const files = await serialiseNet({ model, config: cfgIn });
    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir, { recursive: true });
    for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
    const back = await loadNetFromDir(dir);
    expect(back.config.swapped).toEqual(['conv3_block2', 'conv5_block1']);
    expect(back.config.swap.depthMultiplier).toBe(2);
    expect(back.config.swap.bnBetween).toBe(true);
    expect(back.config.widthDivisor).toBe(16);
    const x = data.test.x.slice(0, 4);
    const diff = tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, back.model.predict(x) as tf.Tensor))).dataSync()[0];
    expect(diff).toBe(0);
  });

  it('refuses shards outside the model folder, truncated shards and models that are not a ResNet-50', async () => {
    const dir = path.join(tmp, 'bad');
    fs.mkdirSync(dir, { recursive: true });
    const model = buildResNet50({ widthDivisor: 16 }, 4);
    const files = await serialiseNet({ model, config: runModel(cfg) });
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadNetFromDir(dir)).rejects.toThrow(/outside its folder/);
    json.weightsManifest[0].paths = ['weights.bin'];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), files['weights.bin'].subarray(0, 1000));
    await expect(loadNetFromDir(dir)).rejects.toThrow(/truncated or missing/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadNetFromDir(dir)).rejects.toThrow(/not valid JSON/);
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const o = await serialiseNet({ model: other as unknown as tf.LayersModel, config: runModel(cfg) });
    for (const [n, b] of Object.entries(o)) fs.writeFileSync(path.join(dir, n), b);
    await expect(loadNetFromDir(dir)).rejects.toThrow(/not a ResNet-50 of the study's shape/);
  });
});
