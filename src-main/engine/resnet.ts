/**
 * A Keras-shaped ResNet-50 on the TF.js Layers API, as in keras.applications.resnet (v1): ImageNet
 * stem, stacks of bottleneck blocks named `conv{stage}_block{i}_*`, then the study's head
 * (GlobalAveragePooling -> Dense 1024 -> Dense 512 -> Dense 10). Each block's 3x3 conv is either a
 * Conv2D or the depthwise-separable pair DepthwiseConv2D(3x3) -> [BN -> [ReLU]] -> Conv2D(1x1).
 */
import * as tf from '@tensorflow/tfjs';
import * as layers from './layers';
import { BLOCKS, ModelConfigSchema, rankOf, type BlockInfo, type ModelConfig } from '../contract';

export type ModelConfigInput = Parameters<typeof ModelConfigSchema.parse>[0];

const BN_EPS = 1.001e-5; // keras.applications.resnet uses epsilon=1.001e-5

/** A seeded initialiser factory so a run's weights depend only on its seed. */
class Seeds {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 7919 + 1;
  }
  he() {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}

export function scaled(width: number, divisor: number): number {
  return Math.max(1, Math.round(width / divisor));
}

/** Names of the layers that implement a block's 3x3 conv, for either form. */
export function convLayerNames(block: string): { dense: string; dw: string; pw: string; bn: string; relu: string } {
  return {
    dense: `${block}_2_conv`,
    dw: `${block}_2_dwconv`,
    pw: `${block}_2_pwconv`,
    bn: `${block}_2_dwbn`,
    relu: `${block}_2_dwrelu`,
  };
}

function conv(
  x: tf.SymbolicTensor,
  filters: number,
  kernel: number,
  stride: number,
  name: string,
  seeds: Seeds,
  padding: 'valid' | 'same' = 'valid',
): tf.SymbolicTensor {
  return layers
    .conv2d({ filters, kernelSize: kernel, strides: stride, padding, name, kernelInitializer: seeds.glorot() })
    .apply(x) as tf.SymbolicTensor;
}

/** BatchNormalization with the model's momentum (`cfg.bnMomentum`). */
function bn(x: tf.SymbolicTensor, name: string, cfg: ModelConfig, zeroGamma = false): tf.SymbolicTensor {
  return layers
    .batchNormalization({ axis: 3, epsilon: BN_EPS, momentum: cfg.bnMomentum, name, gammaInitializer: zeroGamma ? 'zeros' : 'ones' })
    .apply(x) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.activation({ activation: 'relu', name }).apply(x) as tf.SymbolicTensor;
}

/** The block's 3x3 conv: Conv2D, or DepthwiseConv2D(3x3) -> [BN [-> ReLU]] -> Conv2D(1x1). */
function conv3x3(x: tf.SymbolicTensor, filters: number, block: string, swapped: boolean, cfg: ModelConfig, seeds: Seeds) {
  const n = convLayerNames(block);
  if (!swapped) return conv(x, filters, 3, 1, n.dense, seeds, 'same');
  let y = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      depthMultiplier: rankOf(cfg, block),
      padding: 'same',
      useBias: false,
      name: n.dw,
      depthwiseInitializer: seeds.glorot(),
    })
    .apply(x) as tf.SymbolicTensor;
  if (cfg.swap.bnBetween) {
    y = bn(y, n.bn, cfg);
    if (cfg.swap.reluBetween) y = relu(y, n.relu);
  }
  return conv(y, filters, 1, 1, n.pw, seeds);
}

/** keras.applications.resnet.block1: 1x1 (stride) -> 3x3 -> 1x1 (4x), projection shortcut on the first. */
function bottleneck(
  x: tf.SymbolicTensor,
  info: BlockInfo,
  cfg: ModelConfig,
  seeds: Seeds,
): tf.SymbolicTensor {
  const filters = scaled(info.baseWidth, cfg.widthDivisor);
  const stride = info.index === 1 && info.stage > 2 ? 2 : 1;
  const name = info.name;
  let shortcut = x;
  if (info.index === 1) {
    shortcut = bn(conv(x, 4 * filters, 1, stride, `${name}_0_conv`, seeds), `${name}_0_bn`, cfg);
  }
  let y = relu(bn(conv(x, filters, 1, stride, `${name}_1_conv`, seeds), `${name}_1_bn`, cfg), `${name}_1_relu`);
  y = conv3x3(y, filters, name, cfg.swapped.includes(name), cfg, seeds);
  y = relu(bn(y, `${name}_2_bn`, cfg), `${name}_2_relu`);
  y = bn(conv(y, 4 * filters, 1, 1, `${name}_3_conv`, seeds), `${name}_3_bn`, cfg, cfg.zeroInitResidual);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
  return relu(sum, `${name}_out`);
}

/** The ImageNet stem of keras.applications.resnet: pad 3, 7x7/2 conv, BN, ReLU, pad 1, 3x3/2 max-pool. */
function stem(input: tf.SymbolicTensor, cfg: ModelConfig, seeds: Seeds): tf.SymbolicTensor {
  let x = tf.layers.zeroPadding2d({ padding: 3, name: 'conv1_pad' }).apply(input) as tf.SymbolicTensor;
  x = conv(x, scaled(64, cfg.widthDivisor), 7, 2, 'conv1_conv', seeds);
  x = relu(bn(x, 'conv1_bn', cfg), 'conv1_relu');
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(x) as tf.SymbolicTensor;
  return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x) as tf.SymbolicTensor;
}

function head(x: tf.SymbolicTensor, cfg: ModelConfig, seeds: Seeds): tf.SymbolicTensor {
  let y = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  cfg.head.forEach((units, i) => {
    y = tf.layers
      .dense({ units: scaled(units, cfg.widthDivisor), activation: 'relu', name: `fc${i + 1}`, kernelInitializer: seeds.glorot() })
      .apply(y) as tf.SymbolicTensor;
  });
  return tf.layers
    .dense({ units: cfg.classes, activation: 'softmax', name: 'predictions', kernelInitializer: seeds.glorot() })
    .apply(y) as tf.SymbolicTensor;
}

/** Builds the ResNet-50 described by `config`; weights are drawn from `seed`. */
export function buildResNet50(config: ModelConfigInput, seed = 42): tf.LayersModel {
  const cfg = ModelConfigSchema.parse(config);
  const seeds = new Seeds(seed);
  const input = tf.input({ shape: [cfg.inputSize, cfg.inputSize, 3], name: 'input_1' });
  let x = stem(input, cfg, seeds);
  for (const info of BLOCKS) x = bottleneck(x, info, cfg, seeds);
  return tf.model({ inputs: input, outputs: head(x, cfg, seeds), name: 'resnet50' });
}

/** The layer whose output is block `block`'s input: the previous block's `_out`, or the stem's pool. */
export function blockInputLayer(block: string): string {
  const i = BLOCKS.findIndex((b) => b.name === block);
  if (i < 0) throw new Error(`unknown block '${block}'`);
  return i === 0 ? 'pool1_pool' : `${BLOCKS[i - 1].name}_out`;
}

/**
 * The network from block `from` on (its blocks and the head, same layer names), taking that block's
 * input activation (shape [h, w, c]) as its input: with the prefix's activations computed once,
 * candidates that differ only from `from` on are evaluated without recomputing the prefix.
 */
export function buildResNet50Tail(config: ModelConfigInput, from: string, inputShape: number[], seed = 42): tf.LayersModel {
  const cfg = ModelConfigSchema.parse(config);
  const seeds = new Seeds(seed);
  const input = tf.input({ shape: inputShape, name: `${from}_in` });
  let x: tf.SymbolicTensor = input;
  for (const info of BLOCKS.slice(BLOCKS.findIndex((b) => b.name === from))) x = bottleneck(x, info, cfg, seeds);
  return tf.model({ inputs: input, outputs: head(x, cfg, seeds), name: 'resnet50_tail' });
}

/** The model up to block `block`'s input (shares `model`'s layers and weights). */
export function prefixModel(model: tf.LayersModel, block: string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(blockInputLayer(block)).output as tf.SymbolicTensor });
}

/** Reads a model's structure back into a ModelConfig (which blocks are swapped, width, head). */
export function describeModel(model: tf.LayersModel): { swapped: string[]; problems: string[] } {
  return describeLayerNames(new Set(model.layers.map((l) => l.name)));
}

/** The same reading from layer names alone (e.g. a model.json's topology, before building it). */
export function describeLayerNames(names: ReadonlySet<string>): { swapped: string[]; problems: string[] } {
  const problems: string[] = [];
  const swapped: string[] = [];
  for (const b of BLOCKS) {
    const n = convLayerNames(b.name);
    if (names.has(n.dw) && names.has(n.pw)) swapped.push(b.name);
    else if (!names.has(n.dense)) problems.push(`block ${b.label} has neither ${n.dense} nor ${n.dw}+${n.pw}`);
    for (const suffix of ['_1_conv', '_3_conv', '_add']) {
      if (!names.has(b.name + suffix)) problems.push(`missing layer ${b.name}${suffix}`);
    }
  }
  for (const l of ['conv1_conv', 'predictions']) if (!names.has(l)) problems.push(`missing layer ${l}`);
  return { swapped, problems };
}
