/**
 * The wasm backend's composed gradient kernels against their definitions: each is run on tiny
 * shapes on `wasm` and on TF.js's reference `cpu` backend (stock kernels), and must agree within
 * float tolerance; cases the kernels do not support must be refused with a clear message.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installWasmKernels } from '../src-main/engine/wasm/kernels';
import { disableSimdKernels } from '../src-main/engine/wasm/simd';

beforeAll(async () => {
  installWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** A deterministic pseudo-random array (values in [-1, 1)). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

type Spec = { inputs: Record<string, number[]>; attrs: Record<string, unknown> };

/** Runs `kernel` on `backend` with inputs drawn from their shapes; returns the output's values. */
async function runOn(backend: string, kernel: string, spec: Spec): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend);
  const inputs: Record<string, tf.Tensor> = {};
  let seed = 1;
  for (const [name, shape] of Object.entries(spec.inputs))
    inputs[name] = tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        seed++,
      ),
      shape,
    );
  const out = tf.engine().runKernel(kernel, inputs as never, spec.attrs as never) as tf.Tensor;
  const result = { shape: out.shape, data: (await out.data()) as Float32Array };
  tf.dispose([out, ...Object.values(inputs)]);
  return result;
}

async function expectSameAsCpu(kernel: string, spec: Spec): Promise<void> {
  const want = await runOn('cpu', kernel, spec);
  await tf.setBackend('wasm');
  const buffers = () => tf.engine().backend.numDataIds();
  const before = buffers();
  const got = await runOn('wasm', kernel, spec);
  expect(buffers()).toBe(before); // every intermediate the composed kernel made is freed
  expect(got.shape).toEqual(want.shape);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++)
    worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]) / (1 + Math.abs(want.data[i])));
  expect(worst).toBeLessThan(2e-5);
}

describe('Conv2DBackpropFilter on wasm (im2col + one matmul in the orientation that packs less; without SIMD: im2col by a one-hot depthwise conv)', () => {
  const cases: [string, number[], number[], number, unknown, number[]][] = [
    ['1x1 stride 1', [2, 4, 4, 3], [1, 1, 3, 5], 1, 'valid', [2, 4, 4, 5]],
    ['1x1 stride 2 (keras ResNet v1 block entry)', [2, 5, 5, 3], [1, 1, 3, 4], 2, 'valid', [2, 3, 3, 4]],
    ['3x3 stride 1 same', [2, 5, 4, 3], [3, 3, 3, 4], 1, 'same', [2, 5, 4, 4]],
    ['7x7 stride 2 valid (the stem, after its zero padding)', [2, 12, 12, 3], [7, 7, 3, 4], 2, 'valid', [2, 3, 3, 4]],
    ['3x3 stride 2 same, odd size', [1, 7, 7, 2], [3, 3, 2, 3], 2, 'same', [1, 4, 4, 3]],
    [
      '3x3 explicit padding',
      [1, 5, 5, 2],
      [3, 3, 2, 3],
      1,
      [
        [0, 0],
        [2, 0],
        [1, 1],
        [0, 0],
      ],
      [1, 5, 5, 3],
    ],
  ];
  for (const simd of [true, false])
    for (const [name, x, f, s, pad, dy] of cases) {
      it(`${name}${simd ? '' : ' (JavaScript path, no SIMD module)'}`, async () => {
        disableSimdKernels(!simd);
        try {
          await expectSameAsCpu('Conv2DBackpropFilter', {
            inputs: { x, dy },
            attrs: { strides: s, pad, dataFormat: 'NHWC', filterShape: f },
          });
        } finally {
          disableSimdKernels(false);
        }
      });
    }
});

describe('Conv2DBackpropInput on wasm (1x1: a matmul, spread when strided; k x k: conv with the flipped kernel)', () => {
  const cases: [string, number[], number[], number, unknown, number[]][] = [
    ['1x1 stride 1', [2, 4, 4, 3], [1, 1, 3, 5], 1, 'valid', [2, 4, 4, 5]],
    ['1x1 stride 2, even input', [2, 4, 4, 3], [1, 1, 3, 4], 2, 'valid', [2, 2, 2, 4]],
    ['1x1 stride 2, odd input', [2, 5, 5, 3], [1, 1, 3, 4], 2, 'valid', [2, 3, 3, 4]],
    ['3x3 stride 1 same', [2, 5, 4, 3], [3, 3, 3, 4], 1, 'same', [2, 5, 4, 4]],
    ['3x3 stride 1 valid', [1, 5, 5, 2], [3, 3, 2, 3], 1, 'valid', [1, 3, 3, 3]],
    ['3x3 stride 2 same (zero-inserted dy)', [1, 6, 6, 2], [3, 3, 2, 3], 2, 'same', [1, 3, 3, 3]],
    ['7x7 stride 2 valid (the stem)', [2, 12, 12, 3], [7, 7, 3, 4], 2, 'valid', [2, 3, 3, 4]],
    ['3x3 stride 2 valid, odd input', [1, 7, 7, 2], [3, 3, 2, 3], 2, 'valid', [1, 3, 3, 3]],
  ];
  for (const [name, x, f, s, pad, dy] of cases) {
    it(name, async () => {
      await expectSameAsCpu('Conv2DBackpropInput', {
        inputs: { dy, filter: f },
        attrs: { strides: s, pad, dataFormat: 'NHWC', inputShape: x },
      });
    });
  }
});

describe('depthwise backprops on wasm', () => {
  const cases: [string, number[], number[], unknown, number[]][] = [
    ['3x3 same, multiplier 1', [2, 5, 4, 3], [3, 3, 3, 1], 'same', [2, 5, 4, 3]],
    ['3x3 same, multiplier 2', [2, 4, 4, 3], [3, 3, 3, 2], 'same', [2, 4, 4, 6]],
    ['3x3 valid', [1, 5, 5, 2], [3, 3, 2, 1], 'valid', [1, 3, 3, 2]],
  ];
  for (const [name, x, f, pad, dy] of cases) {
    it(`filter: ${name}`, async () => {
      await expectSameAsCpu('DepthwiseConv2dNativeBackpropFilter', {
        inputs: { x, dy },
        attrs: { strides: 1, dilations: 1, pad, filterShape: f },
      });
    });
    it(`input: ${name}`, async () => {
      await expectSameAsCpu('DepthwiseConv2dNativeBackpropInput', {
        inputs: { dy, filter: f },
        attrs: { strides: 1, dilations: 1, pad, inputShape: x },
      });
    });
  }
  it('filter: 3x3 stride 2 (strided patches)', async () => {
    await expectSameAsCpu('DepthwiseConv2dNativeBackpropFilter', {
      inputs: { x: [1, 6, 6, 2], dy: [1, 3, 3, 2] },
      attrs: { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 2, 1] },
    });
  });
  it('input: refuses stride 2 and dilation 2 with a message naming the way out', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 3, 3, 2]);
    const filter = tf.zeros([3, 3, 2, 1]);
    expect(() =>
      tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
          strides: 2,
          dilations: 1,
          pad: 'same',
          inputShape: [1, 6, 6, 2],
        } as never),
    ).toThrow(/stride 1 only.*--backend cpu/);
    expect(() =>
      tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
          strides: 1,
          dilations: 2,
          pad: 'same',
          inputShape: [1, 3, 3, 2],
        } as never),
    ).toThrow(/dilation 1 only.*--backend cpu/);
    tf.dispose([dy, filter]);
  });
});

describe('BatchMatMul with transposed operands on wasm (sent to XNNPACK after an explicit transpose)', () => {
  for (const [ta, tb] of [
    [true, false],
    [false, true],
    [true, true],
    [false, false],
  ]) {
    it(`transposeA ${ta}, transposeB ${tb}`, async () => {
      const a = ta ? [7, 5] : [5, 7];
      const b = tb ? [3, 7] : [7, 3];
      await expectSameAsCpu('BatchMatMul', { inputs: { a, b }, attrs: { transposeA: ta, transposeB: tb } });
    });
  }
  it('a batched product keeps the backend kernel', async () => {
    await expectSameAsCpu('BatchMatMul', {
      inputs: { a: [2, 7, 5], b: [2, 7, 3] },
      attrs: { transposeA: true, transposeB: false },
    });
  });
});

describe('Tile, Sum and Mean over leading axes on wasm (column sums / ones-vector products)', () => {
  it('Tile of [1, 1, 1, C] over N, H, W (BatchNorm gradient)', async () => {
    await expectSameAsCpu('Tile', { inputs: { x: [1, 1, 1, 5] }, attrs: { reps: [2, 3, 4, 1] } });
  });
  it('Tile along a trailing axis keeps the backend kernel', async () => {
    await expectSameAsCpu('Tile', { inputs: { x: [2, 3] }, attrs: { reps: [1, 2] } });
  });
  for (const kernel of ['Sum', 'Mean']) {
    it(`${kernel} over N, H, W of NHWC, with and without keepDims`, async () => {
      await expectSameAsCpu(kernel, { inputs: { x: [2, 3, 4, 5] }, attrs: { axis: [0, 1, 2], keepDims: false } });
      await expectSameAsCpu(kernel, { inputs: { x: [2, 3, 4, 5] }, attrs: { axis: [2, 0, 1], keepDims: true } });
      // a multiple of four channels: the SIMD module's float64 column sums
      await expectSameAsCpu(kernel, { inputs: { x: [3, 5, 2, 8] }, attrs: { axis: [0, 1, 2], keepDims: false } });
    });
    it(`${kernel} over inner or all axes keeps the backend kernel`, async () => {
      await expectSameAsCpu(kernel, { inputs: { x: [2, 3, 4] }, attrs: { axis: [2], keepDims: false } });
      await expectSameAsCpu(kernel, { inputs: { x: [2, 3, 4] }, attrs: { axis: [0, 1, 2], keepDims: false } });
    });
  }
});

describe("BatchNorm's gradient on wasm (one kernel for the five gradients of FusedBatchNorm)", () => {
  /** Gradients of sum(w * BN(x)) with the batch's own moments (training mode) w.r.t. x, gamma, beta. */
  // (Keras passes both scale and offset; TF.js's tape cannot differentiate a batchNorm missing either.)
  async function bnGrads(backend: string, shape: number[]): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    const c = shape[shape.length - 1];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(values(n, 7), shape).mul(3).add(0.5);
    const w = tf.tensor(values(n, 8), shape);
    const gamma = tf.tensor1d(values(c, 9)).add(1.2);
    const beta = tf.tensor1d(values(c, 10));
    const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, [...shape.keys()].slice(0, -1));
      return tf.sum(tf.mul(w, tf.batchNorm(xi, mean, variance, b, g, 1e-3)));
    };
    const grads = tf.grads(f)([x, gamma, beta]);
    const out = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([x, w, gamma, beta, ...grads]);
    return out;
  }

  for (const shape of [[4, 3, 3, 5], [6, 7], [1, 1, 2, 3]]) {
    it(`equals TF.js's own gradient (cpu backend) for x ${JSON.stringify(shape)}`, async () => {
      const want = await bnGrads('cpu', shape);
      const got = await bnGrads('wasm', shape);
      want.forEach((w, k) => {
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[k][i] - w[i]) / (1 + Math.abs(w[i])));
        expect(worst, ['x', 'gamma', 'beta'][k]).toBeLessThan(1e-4);
      });
      expect(Math.max(...Array.from(want[0], Math.abs)), 'a gradient that is not all zero').toBeGreaterThan(1e-3);
    });
  }

  it('is the kernel the wasm backend runs for that gradient', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(values(2 * 2 * 2 * 3, 3), [2, 2, 2, 3]);
    const prof = await tf.profile(() => {
      const g = tf.grad((xi: tf.Tensor) => {
        const { mean, variance } = tf.moments(xi, [0, 1, 2]);
        return tf.sum(tf.square(tf.batchNorm(xi, mean, variance, tf.zeros([3]), tf.ones([3]), 1e-3)));
      })(x);
      g.dispose();
    });
    x.dispose();
    expect(prof.kernels.map((k) => k.name)).toContain('DwswapFusedBatchNormGrad');
  });
});

describe('the SIMD module', () => {
  it('simd-binary.ts is what simd.wat assembles to (npm run build:simd)', async () => {
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync(process.execPath, ['scripts/build-simd.mjs', '--check'], { encoding: 'utf8' })).toContain('matches');
  });
});

describe("MaxPool's gradient on wasm (SIMD module: dy added at the window's first maximum)", () => {
  const cases: [string, number[], number, number, unknown, number[]][] = [
    ['3x3 stride 2 valid (the stem, after its zero padding)', [2, 9, 9, 4], 3, 2, 'valid', [2, 4, 4, 4]],
    ['3x3 stride 2 same', [1, 6, 7, 3], 3, 2, 'same', [1, 3, 4, 3]],
    ['2x2 stride 1 valid', [1, 4, 4, 2], 2, 1, 'valid', [1, 3, 3, 2]],
  ];
  for (const [name, x, f, s, pad, y] of cases) {
    it(name, async () => {
      await expectSameAsCpu('MaxPoolGrad', {
        inputs: { dy: y, input: x, output: y },
        attrs: { filterSize: f, strides: s, pad },
      });
    });
  }
  it('with ties (ReLU zeros, zero padding): the first maximum in scan order, as TF.js', async () => {
    const grads: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.relu(tf.tensor(values(2 * 8 * 8 * 4, 5), [2, 8, 8, 4]));
      const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D;
      const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(p as tf.Tensor4D, 3, 2, 'valid'), tf.tensor(values(2 * 4 * 4 * 4, 6), [2, 4, 4, 4]))))(padded);
      grads.push((await g.data()) as Float32Array);
      tf.dispose([x, padded, g]);
    }
    expect(Array.from(grads[1])).toEqual(Array.from(grads[0]));
  });
});
