import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS } from '../src-main/contract';
import { blockParams, trainableCount } from '../src-main/engine/metrics';
import { inspectModel as inspect } from '../src-main/engine/params';
import { buildResNet50 } from '../src-main/engine/resnet';
import { factoriseKernel, swapBlocks, type Net } from '../src-main/engine/swap';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(a, b)).div(tf.norm(b)).dataSync()[0]);
}

function separable(x: tf.Tensor4D, k: { depthwise: tf.Tensor4D; pointwise: tf.Tensor4D }): tf.Tensor4D {
  return tf.conv2d(tf.depthwiseConv2d(x, k.depthwise, 1, 'same'), k.pointwise, 1, 'valid');
}

function tinyNet(swapped: string[] = [], seed = 1): Net {
  const model = buildResNet50({ widthDivisor: 16, swapped }, seed);
  return { model, config: { ...inspect({ widthDivisor: 16, swapped }).model } };
}

/** Activations at the output of a block, for a fixed input. */
function blockOutput(model: tf.LayersModel, block: string, x: tf.Tensor4D): tf.Tensor {
  const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(`${block}_out`).output as tf.SymbolicTensor });
  return sub.predict(x) as tf.Tensor;
}

describe('factoriseKernel (rank-r SVD of each input channel 9 x N slice)', () => {
  const w = tf.randomNormal([3, 3, 5, 7], 0, 1, 'float32', 3) as tf.Tensor4D;
  const x = tf.randomNormal([2, 6, 6, 5], 0, 1, 'float32', 4) as tf.Tensor4D;
  const dense = tf.conv2d(x, w, 1, 'same');

  it('reproduces the dense conv output exactly at full depth multiplier (r = min(9, N))', () => {
    for (const r of [7, 9]) {
      const f = factoriseKernel(w, r);
      expect(f.depthwise.shape, 'depthwise kernel is (3,3,M,r)').toEqual([3, 3, 5, r]);
      expect(f.pointwise.shape, 'pointwise kernel is (1,1,M*r,N)').toEqual([1, 1, 5 * r, 7]);
      expect(f.relativeError, 'kernel error is zero').toBeLessThan(1e-6);
      expect(relErr(separable(x, f), dense), 'output error is float round-off').toBeLessThan(1e-5);
    }
  });

  it('has output error that falls as the depth multiplier grows', () => {
    const errs = [1, 2, 3, 4, 5, 6].map((r) => relErr(separable(x, factoriseKernel(w, r)), dense));
    for (let i = 1; i < errs.length; i++) expect(errs[i], `r=${i + 1} beats r=${i}`).toBeLessThan(errs[i - 1]);
  });

  it('matches the Eckart-Young bound: kernel error^2 = sum of discarded squared singular values', () => {
    const slice = tf.reshape(tf.slice(w, [0, 0, 2, 0], [3, 3, 1, 7]), [9, 7]);
    const single = tf.reshape(slice, [3, 3, 1, 7]) as tf.Tensor4D;
    const f = factoriseKernel(single, 1);
    const approx = tf.matMul(tf.reshape(f.depthwise, [9, 1]), tf.reshape(f.pointwise, [1, 7]));
    const direct = relErr(approx, slice);
    expect(Math.abs(direct - f.relativeError), 'reported error equals measured error').toBeLessThan(1e-5);
  });
});

describe('swapBlocks on a trained-shape model', () => {
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9) as tf.Tensor4D;

  it('computes the same outputs as the dense model when every block is swapped at full multiplier', async () => {
    const dense = tinyNet([], 5);
    // width 1/16: block base widths are 4, 8, 16, 32, so r = 9 is full rank for every block
    const sep = (await swapBlocks(dense, BLOCKS.map((b) => b.name), { depthMultiplier: 9, init: 'svd', bnBetween: false, reluBetween: false }, 7)).net;
    expect(sep.config.swapped).toHaveLength(16);
    const a = dense.model.predict(x) as tf.Tensor;
    const b = sep.model.predict(x) as tf.Tensor;
    expect(relErr(b, a), 'predictions agree').toBeLessThan(1e-4);
  });

  it('keeps the factorisation exact through an identity-initialised BatchNorm, and a ReLU there breaks it', async () => {
    const dense = tinyNet([], 5);
    const spec = { depthMultiplier: 9, init: 'svd' as const, bnBetween: true, reluBetween: false };
    const withBn = (await swapBlocks(dense, ['conv3_2'], spec, 7)).net;
    const withRelu = (await swapBlocks(dense, ['conv3_2'], { ...spec, reluBetween: true }, 7)).net;
    const ref = blockOutput(dense.model, 'conv3_block2', x);
    expect(relErr(blockOutput(withBn.model, 'conv3_block2', x), ref), 'BN between is identity').toBeLessThan(1e-4);
    expect(relErr(blockOutput(withRelu.model, 'conv3_block2', x), ref), 'ReLU between changes outputs').toBeGreaterThan(1e-2);
  });

  it('SVD initialisation beats fresh initialisation on block output error at depth multiplier 1', async () => {
    const dense = tinyNet([], 5);
    const spec = { depthMultiplier: 1, bnBetween: false, reluBetween: false };
    for (const block of ['conv2_block2', 'conv4_block3', 'conv5_block1']) {
      const ref = blockOutput(dense.model, block, x);
      const svd = (await swapBlocks(dense, [block], { ...spec, init: 'svd' }, 7)).net;
      const fresh = (await swapBlocks(dense, [block], { ...spec, init: 'random' }, 7)).net;
      const eSvd = relErr(blockOutput(svd.model, block, x), ref);
      const eFresh = relErr(blockOutput(fresh.model, block, x), ref);
      expect(eSvd, `${block}: svd ${eSvd.toFixed(3)} < random ${eFresh.toFixed(3)}`).toBeLessThan(eFresh);
    }
  });

  it('copies every other weight unchanged', async () => {
    const dense = tinyNet([], 5);
    const sep = (await swapBlocks(dense, ['conv2_block1'], { depthMultiplier: 1, init: 'random', bnBetween: false, reluBetween: false }, 7)).net;
    for (const name of ['conv1_conv', 'conv2_block1_1_conv', 'conv4_block2_2_conv', 'predictions']) {
      const [a] = dense.model.getLayer(name).getWeights();
      const [b] = sep.model.getLayer(name).getWeights();
      expect(relErr(b, a), `${name} copied`).toBe(0);
    }
  });
});

describe('parameter counts against the formulas', () => {
  it('counts the full-width classical model as the study does (26.22M) and the all-swapped one 10,025,792 fewer', () => {
    const all = inspect({ widthDivisor: 1, swapped: BLOCKS.map((b) => b.name) });
    expect(all.classicalParams, 'classical ResNet-50 with Dense 1024-512-10 head').toBe(26_215_818);
    expect(all.savedParams, 'weights removed from the 3x3 convolutions').toBe(10_025_792);
    expect(all.totalParams).toBe(16_190_026);
    expect(all.savedPercent).toBeCloseTo(38.24, 2);
  });

  it('gives each 3x3 conv N*M*D^2 (+N bias) weights and each replacement M*(D^2+N) (+N bias)', () => {
    const swapped = ['conv2_block1', 'conv3_block4', 'conv5_block3'];
    const model = buildResNet50({ widthDivisor: 8, swapped }, 0);
    const rows = blockParams(model, inspect({ widthDivisor: 8, swapped }).model);
    for (const r of rows) {
      expect(r.inChannels * r.filters * 9, `${r.label} classical formula`).toBe(r.formulaClassical);
      expect(r.inChannels * (9 + r.filters), `${r.label} separable formula`).toBe(r.formulaSeparable);
      const expected = (r.swapped ? r.formulaSeparable : r.formulaClassical) + r.filters;
      expect(r.convParams, `${r.label} counted conv params`).toBe(expected);
    }
    expect(rows.filter((r) => r.swapped).map((r) => r.name)).toEqual(swapped);
  });

  it('computes, without building, the same counts as TF.js counts on built models', () => {
    const configs = [
      { widthDivisor: 1, swapped: ['conv2_block1', 'conv5_block3'] },
      { widthDivisor: 8, swapped: BLOCKS.map((b) => b.name), swap: { depthMultiplier: 2, bnBetween: true } },
      { widthDivisor: 16, swapped: ['conv3_block1'], swap: { depthMultiplier: 3, bnBetween: true, reluBetween: true }, head: [256, 128] as [number, number] },
    ];
    for (const cfg of configs) {
      const model = buildResNet50(cfg, 0);
      const analytic = inspect(cfg);
      expect(analytic.totalParams, `total of ${JSON.stringify(cfg)}`).toBe(model.countParams());
      expect(analytic.trainableParams, 'trainable').toBe(trainableCount(model));
      const counted = blockParams(model, analytic.model);
      analytic.blocks.forEach((b, i) => {
        expect(b.params, `${b.label} block params`).toBe(counted[i].params);
        expect(b.convParams, `${b.label} conv params`).toBe(counted[i].convParams);
      });
      const classical = buildResNet50({ ...cfg, swapped: [] }, 0);
      expect(analytic.classicalParams, 'classical total').toBe(classical.countParams());
      model.dispose();
      classical.dispose();
    }
  });

  it('sums per-block parameters plus stem and head to the model total', () => {
    const cfg = { widthDivisor: 4, swapped: ['conv4_block1'] };
    const model = buildResNet50(cfg, 0);
    const blocks = blockParams(model, inspect(cfg).model).reduce((s, b) => s + b.params, 0);
    const rest = model.layers.filter((l) => !/^conv[2-5]_block/.test(l.name)).reduce((s, l) => s + l.countParams(), 0);
    expect(blocks + rest).toBe(model.countParams());
  });
});
