/**
 * The ONNX exporter against its definitions: weight layouts, TensorFlow's 'same' padding and
 * BatchNorm folding checked element by element; every model variant (classical, some or all blocks
 * swapped, depth multiplier 3, BatchNorm (+ ReLU) between) exported at 1/16 width with non-trivial
 * BatchNorm statistics and run in ONNX Runtime against the engine; the graph's structure read back
 * with ONNX's schema; the schema descriptor regenerated from the vendored onnx.proto.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_NAMES } from '../src-main/contract';
import { checkExport } from '../src-main/engine/onnx/check';
import { exportOnnx } from '../src-main/engine/onnx/export';
import { decodeModel, OPSET } from '../src-main/engine/onnx/proto';
import { schemaFromProto, SCHEMA_JSON, SCHEMA_PROTO } from '../src-main/engine/onnx/schema-source';
import { batchNormAffine, convKernelToOihw, depthwiseKernelToOihw, foldBatchNorm, samePads } from '../src-main/engine/onnx/weights';
import type { z } from 'zod';
import type { ModelConfigSchema } from '../src-main/contract';
import { buildResNet50 } from '../src-main/engine/resnet';

type ModelConfigInput = z.input<typeof ModelConfigSchema>;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gives every BatchNormalization random gamma, beta, moving mean and variance, so folding matters. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const l of model.layers.filter((x) => x.getClassName() === 'BatchNormalization')) {
    const c = l.getWeights()[0].shape[0];
    l.setWeights([
      tf.randomUniform([c], 0.5, 1.5, 'float32', s++),
      tf.randomUniform([c], -0.3, 0.3, 'float32', s++),
      tf.randomUniform([c], -0.3, 0.3, 'float32', s++),
      tf.randomUniform([c], 0.5, 2, 'float32', s++),
    ]);
  }
}

type Node = { opType: string; attribute?: { name: string; i?: number; ints?: number[] }[]; input: string[] };
type Init = { name: string; dims: number[] };

describe('weight layouts and folding, against their definitions', () => {
  it('a Conv2D kernel (kh, kw, in, out) lands at (out, in, kh, kw)', () => {
    const shape = [3, 2, 4, 5];
    const k = Float32Array.from({ length: 120 }, (_, i) => i);
    const o = convKernelToOihw(k, shape);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 2; x++) for (let i = 0; i < 4; i++) for (let n = 0; n < 5; n++) {
      expect(o[((n * 4 + i) * 3 + y) * 2 + x]).toBe(k[((y * 2 + x) * 4 + i) * 5 + n]);
    }
  });

  it('a depthwise kernel (kh, kw, C, r) lands at (C*r, 1, kh, kw), output channel c*r + q', () => {
    const k = Float32Array.from({ length: 3 * 3 * 4 * 3 }, (_, i) => i);
    const o = depthwiseKernelToOihw(k, [3, 3, 4, 3]);
    for (let t = 0; t < 9; t++) for (let c = 0; c < 4; c++) for (let q = 0; q < 3; q++) expect(o[(c * 3 + q) * 9 + t]).toBe(k[(t * 4 + c) * 3 + q]);
  });

  it("'same' padding splits TensorFlow's total, the smaller half first", () => {
    expect(samePads(8, 3, 1)).toEqual([1, 1]);
    expect(samePads(8, 3, 2)).toEqual([0, 1]); // total = (4-1)*2 + 3 - 8 = 1
    expect(samePads(7, 3, 2)).toEqual([1, 1]);
    expect(samePads(5, 1, 2)).toEqual([0, 0]);
  });

  it('a folded conv equals BN(conv) on every output channel', () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 output channels x 3
    const bias = Float32Array.from([0.5, -1]);
    const bn = { gamma: Float32Array.from([2, 0.5]), beta: Float32Array.from([0.1, 0.2]), mean: Float32Array.from([1, -1]), variance: Float32Array.from([4, 0.25]), epsilon: 0 };
    const f = foldBatchNorm(w, bias, bn);
    const x = [0.3, -0.7, 1.1];
    for (let o = 0; o < 2; o++) {
      const conv = x.reduce((s, v, j) => s + v * w[o * 3 + j], bias[o]);
      const expected = (bn.gamma[o] * (conv - bn.mean[o])) / Math.sqrt(bn.variance[o]) + bn.beta[o];
      const folded = x.reduce((s, v, j) => s + v * f.w[o * 3 + j], f.b[o]);
      expect(folded).toBeCloseTo(expected, 5);
    }
    expect(batchNormAffine({ ...bn, gamma: null, beta: null }).scale[1]).toBeCloseTo(2, 6);
  });
});

const VARIANTS: [string, ModelConfigInput][] = [
  ['classical', { widthDivisor: 16 }],
  ['two blocks swapped', { widthDivisor: 16, swapped: ['conv2_1', 'conv4_3'] }],
  ['all 16 swapped', { widthDivisor: 16, swapped: [...BLOCK_NAMES] }],
  ['depth multiplier 3, BatchNorm between', { widthDivisor: 16, swapped: ['conv3_1', 'conv5_3'], swap: { depthMultiplier: 3, bnBetween: true } }],
  ['BatchNorm + ReLU between', { widthDivisor: 16, swapped: ['conv2_2'], swap: { bnBetween: true, reluBetween: true } }],
];

describe('every variant exports to opset 13 and runs in ONNX Runtime as in the engine', () => {
  it.each(VARIANTS)('%s', async (_, cfg) => {
    const model = buildResNet50(cfg, 3);
    randomiseBatchNorms(model, 11);
    const onnx = exportOnnx(model, 'test');
    const check = await checkExport(model, onnx.bytes, 32);
    expect(check.passed, `max relative error ${check.maxRelError}`).toBe(true);
    expect(check.maxRelError).toBeLessThanOrEqual(1e-4);
    const doc = decodeModel(onnx.bytes) as { opsetImport: { version: number }[]; graph: { node: Node[]; initializer: Init[] } };
    expect(doc.opsetImport[0].version).toBe(OPSET);
    const nodes = doc.graph.node;
    const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    expect(onnx.foldedBatchNorms, 'every BatchNorm follows a conv and is folded').toBe(bns);
    expect(nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const grouped = nodes.filter((n) => n.opType === 'Conv' && (n.attribute ?? []).some((a) => a.name === 'group' && (a.i ?? 1) > 1));
    const swapped = (cfg.swapped ?? []).length;
    expect(grouped.length, 'one grouped Conv per swapped block').toBe(swapped);
    const r = cfg.swap?.depthMultiplier ?? 1;
    for (const g of grouped) {
      const w = doc.graph.initializer.find((i) => i.name === g.input[1])!;
      const group = g.attribute!.find((a) => a.name === 'group')!.i!;
      expect(w.dims, 'depthwise as grouped Conv: out = C*r, one input channel per group').toEqual([group * r, 1, 3, 3]);
    }
    expect(nodes.filter((n) => n.opType === 'Relu').length).toBe(model.layers.filter((l) => l.getClassName() === 'Activation').length + 2);
    model.dispose();
  });

  it('the check fails when the file is not the model (another seed)', async () => {
    const a = buildResNet50({ widthDivisor: 16 }, 1);
    const b = buildResNet50({ widthDivisor: 16 }, 2);
    randomiseBatchNorms(a, 1);
    randomiseBatchNorms(b, 2);
    const check = await checkExport(a, exportOnnx(b, 'test').bytes, 32);
    expect(check.passed).toBe(false);
    expect(check.maxRelError).toBeGreaterThan(1e-4);
    a.dispose();
    b.dispose();
  });
});

describe('layers the ResNet does not exercise', () => {
  it("an unfolded BatchNorm, a strided 'same' conv and a 'same' max-pool (asymmetric padding) match the engine", async () => {
    const input = tf.input({ shape: [9, 9, 3] });
    let x = tf.layers.batchNormalization({ axis: 3 }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomiseBatchNorms(model, 5);
    const onnx = exportOnnx(model, 'test');
    expect(onnx.foldedBatchNorms).toBe(0);
    expect(onnx.unfoldedBatchNorms).toBe(1);
    const check = await checkExport(model, onnx.bytes, 9);
    expect(check.maxRelError, 'BatchNormalization node, pads [0,0,1,1]-style splits').toBeLessThanOrEqual(1e-4);
    model.dispose();
  });
});

describe('the schema', () => {
  it("onnx-schema.json is protobufjs's descriptor of the vendored onnx.proto (regenerate: npx tsx scripts/onnx-schema.ts)", () => {
    expect(JSON.parse(fs.readFileSync(SCHEMA_JSON, 'utf8'))).toEqual(JSON.parse(JSON.stringify(schemaFromProto(SCHEMA_PROTO))));
    expect(fs.readFileSync(SCHEMA_PROTO, 'utf8')).toMatch(/SPDX-License-Identifier: Apache-2.0/);
  });
});
