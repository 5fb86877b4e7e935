/**
 * The engine's Conv2D and BatchNormalization (engine/layers.ts) against tfjs-layers' own classes on
 * TF.js's reference `cpu` backend: same outputs, same gradients for the input and every weight, same
 * moving statistics, for the cases they compute their own way (training-mode BatchNorm on wasm as two
 * SIMD kernels, a conv as unfused ops in training, a conv on a 1 x 1 map as its centre tap); and they
 * keep the stock class names, so models save and load as plain Keras layers.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as layers from '../src-main/engine/layers';
import { BN_TRAIN_KERNEL } from '../src-main/engine/wasm/batchnorm-train';
import { startWasm } from '../src-main/engine/wasm/load';

beforeAll(async () => {
  await startWasm();
});

function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return offset + scale * (s / 2 ** 31 - 1);
  });
}

interface Outcome {
  y: Float32Array;
  grads: Float32Array[];
  weightsAfter: Float32Array[];
}

/**
 * Builds `make()` on `backend`, sets its weights from `weights`, and runs it on x (training flag
 * as given): the output, the gradients of sum(y * w) for x and every trainable weight, and all
 * weights afterwards (BatchNorm's moving statistics included).
 */
async function run(
  backend: string,
  make: () => tf.layers.Layer,
  xShape: number[],
  training: boolean,
  weights: (shape: number[], i: number) => Float32Array,
): Promise<Outcome> {
  await tf.setBackend(backend);
  const layer = make();
  const x = tf.tensor(values(xShape.reduce((a, b) => a * b, 1), 7, 1.5, 0.3), xShape);
  layer.build(xShape);
  layer.setWeights(layer.getWeights().map((w, i) => tf.tensor(weights(w.shape, i), w.shape)));
  const trainable = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  let y: tf.Tensor | null = null;
  const f = (xi: tf.Tensor, ...ws: tf.Tensor[]) => {
    void ws;
    const out = layer.apply(xi, { training }) as tf.Tensor;
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, tf.tensor(values(out.size, 99), out.shape)));
  };
  const grads = tf.grads(f)([x, ...trainable]);
  const outcome = {
    y: (y as unknown as tf.Tensor).dataSync().slice() as Float32Array,
    grads: grads.map((g) => g.dataSync().slice() as Float32Array),
    weightsAfter: layer.getWeights().map((w) => w.dataSync().slice() as Float32Array),
  };
  tf.dispose([x, ...grads, y as unknown as tf.Tensor]);
  return outcome;
}

function expectClose(a: Float32Array, b: Float32Array, what: string, tol = 2e-4): void {
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(1e-3, ...Array.from(b, Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst / scale, `${what}: max |diff| ${worst} against max |value| ${scale}`).toBeLessThan(tol);
}

function expectSame(ours: Outcome, ref: Outcome, what: string): void {
  expectClose(ours.y, ref.y, `${what}: output`);
  ours.grads.forEach((g, i) => expectClose(g, ref.grads[i], `${what}: gradient ${i === 0 ? 'of the input' : `of weight ${i}`}`));
  ours.weightsAfter.forEach((w, i) => expectClose(w, ref.weightsAfter[i], `${what}: weight ${i} after the call`));
}

const bnWeights = (shape: number[], i: number) =>
  // gamma, beta, moving mean, moving variance (positive)
  values(shape[0], 20 + i, i === 3 ? 0.5 : 1, i === 3 ? 1 : i === 0 ? 1 : 0);

describe('BatchNormalization in training mode', () => {
  for (const shape of [
    [4, 5, 5, 8],
    [3, 2, 2, 12],
    [6, 16],
  ]) {
    it(`matches tfjs-layers' BatchNormalization on the cpu backend for ${JSON.stringify(shape)}: output, dx, dgamma, dbeta, moving statistics`, async () => {
      const args = { axis: -1, momentum: 0.9, epsilon: 1.001e-5 };
      const ref = await run('cpu', () => tf.layers.batchNormalization(args), shape, true, bnWeights);
      await tf.setBackend('wasm');
      const calls = { n: 0 };
      const kernel = tf.getKernel(BN_TRAIN_KERNEL, 'wasm')!;
      const counted = { ...kernel, kernelFunc: (a: Parameters<tf.KernelFunc>[0]) => (calls.n++, kernel.kernelFunc(a)) };
      tf.unregisterKernel(BN_TRAIN_KERNEL, 'wasm');
      tf.registerKernel(counted);
      try {
        const ours = await run('wasm', () => layers.batchNormalization(args), shape, true, bnWeights);
        expect(calls.n, 'the SIMD kernel ran').toBe(1);
        expectSame(ours, ref, 'BatchNorm');
      } finally {
        tf.unregisterKernel(BN_TRAIN_KERNEL, 'wasm');
        tf.registerKernel(kernel);
      }
    });
  }

  it('uses the moving statistics in inference, as the stock layer', async () => {
    const args = { axis: -1, momentum: 0.9, epsilon: 1e-3 };
    const ref = await run('cpu', () => tf.layers.batchNormalization(args), [2, 3, 3, 8], false, bnWeights);
    const ours = await run('wasm', () => layers.batchNormalization(args), [2, 3, 3, 8], false, bnWeights);
    expectSame(ours, ref, 'BatchNorm inference');
  });
});

describe('Conv2D', () => {
  const convWeights = (shape: number[], i: number) => values(shape.reduce((a, b) => a * b, 1), 40 + i, 0.5);
  const cases: { what: string; args: Parameters<typeof tf.layers.conv2d>[0]; x: number[] }[] = [
    { what: '3x3 same on a 1x1 map (centre tap)', args: { filters: 6, kernelSize: 3, padding: 'same' }, x: [4, 1, 1, 5] },
    { what: '3x3 same, stride 2, on a 1x1 map (centre tap)', args: { filters: 6, kernelSize: 3, padding: 'same', strides: 2 }, x: [2, 1, 1, 5] },
    { what: '7x7 valid, stride 2 (the stem)', args: { filters: 4, kernelSize: 7, strides: 2 }, x: [2, 12, 12, 3] },
    { what: '3x3 same on a 4x4 map', args: { filters: 4, kernelSize: 3, padding: 'same' }, x: [2, 4, 4, 8] },
    { what: '1x1 stride 2, no bias', args: { filters: 8, kernelSize: 1, strides: 2, useBias: false }, x: [2, 4, 4, 4] },
  ];
  for (const c of cases)
    for (const training of [true, false])
      it(`${c.what}, ${training ? 'training' : 'inference'}: output and gradients equal tfjs-layers' Conv2D on the cpu backend`, async () => {
        const ref = await run('cpu', () => tf.layers.conv2d(c.args), c.x, training, convWeights);
        const ours = await run('wasm', () => layers.conv2d(c.args), c.x, training, convWeights);
        expectSame(ours, ref, c.what);
      });
});

describe('class names', () => {
  it('save as the stock Keras classes and load back into the engine classes', async () => {
    await tf.setBackend('wasm');
    const input = tf.input({ shape: [4, 4, 4] });
    const y = layers.batchNormalization({ name: 'bn' }).apply(layers.conv2d({ filters: 4, kernelSize: 3, name: 'c' }).apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const json = JSON.stringify(model.toJSON(null, false));
    expect(json).toContain('"class_name":"Conv2D"');
    expect(json).toContain('"class_name":"BatchNormalization"');
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.getLayer('c')).toBeInstanceOf(layers.Conv2D);
    expect(loaded.getLayer('bn')).toBeInstanceOf(layers.BatchNormalization);
    model.dispose();
    loaded.dispose();
  });
});
