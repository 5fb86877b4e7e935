/**
 * One Keras layer of the workbench's ResNet-50 as ONNX nodes (NCHW): Conv2D and DepthwiseConv2D
 * as Conv (depthwise: group = channels), BatchNormalization folded into its conv or as
 * BatchNormalization, Activation relu, ZeroPadding2D as Pad, MaxPooling2D, Add,
 * GlobalAveragePooling2D + Flatten, Dense as Gemm (+ Relu / Softmax).
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from './proto';
import { batchNormAffine, convKernelToOihw, depthwiseKernelToOihw, foldBatchNorm, samePads, type BatchNormParams } from './weights';

export class ExportError extends Error {
  readonly code = 'bad-input';
}

type Config = Record<string, unknown>;
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

export function batchNormParams(layer: tf.layers.Layer): BatchNormParams {
  const c = layer.getConfig() as Config;
  const w = layer.getWeights().map(values);
  const gamma = c.scale !== false ? w.shift()! : null;
  const beta = c.center !== false ? w.shift()! : null;
  return { gamma, beta, mean: w[0], variance: w[1], epsilon: Number(c.epsilon) };
}

/** NHWC spatial size of a layer's input. */
function inputHw(layer: tf.layers.Layer): [number, number] {
  const shape = (layer.input as tf.SymbolicTensor).shape;
  return [Number(shape[1]), Number(shape[2])];
}

/** ONNX pads [top, left, bottom, right] for a Keras conv/pool padding mode. */
function padsFor(layer: tf.layers.Layer, k: [number, number], s: [number, number]): number[] {
  if ((layer.getConfig() as Config).padding !== 'same') return [0, 0, 0, 0];
  const [h, w] = inputHw(layer);
  const [t, b] = samePads(h, k[0], s[0]);
  const [l, r] = samePads(w, k[1], s[1]);
  return [t, l, b, r];
}

function activation(g: GraphBuilder, x: string, layer: tf.layers.Layer, name: string): string {
  const act = String((layer.getConfig() as Config).activation ?? 'linear');
  if (act === 'linear') return x;
  if (act === 'relu') return g.op('Relu', [x], `${name}_relu`);
  if (act === 'softmax') return g.op('Softmax', [x], `${name}_softmax`, { axis: -1 });
  throw new ExportError(`layer ${layer.name} uses activation '${act}', which the ONNX exporter does not support (relu, softmax, linear)`);
}

/** Conv2D or DepthwiseConv2D, with the BatchNormalization after it folded in when given. */
export function emitConv(g: GraphBuilder, x: string, layer: tf.layers.Layer, bn: tf.layers.Layer | null): string {
  const c = layer.getConfig() as Config;
  const depthwise = layer.getClassName() === 'DepthwiseConv2D';
  const [kernel, bias] = layer.getWeights();
  const shape = kernel.shape as number[];
  const k = pair(c.kernelSize);
  const s = pair(c.strides);
  const d = pair(c.dilationRate ?? 1);
  let w = depthwise ? depthwiseKernelToOihw(values(kernel), shape) : convKernelToOihw(values(kernel), shape);
  let b = bias ? values(bias) : null;
  const dims = depthwise ? [shape[2] * shape[3], 1, k[0], k[1]] : [shape[3], shape[2], k[0], k[1]];
  if (bn) ({ w, b } = foldBatchNorm(w, b, batchNormParams(bn)));
  const inputs = [x, g.floats(`${layer.name}_W`, dims, w)];
  if (b) inputs.push(g.floats(`${layer.name}_B`, [dims[0]], b));
  const attrs = { kernel_shape: k, strides: s, dilations: d, pads: padsFor(layer, k, s), group: depthwise ? shape[2] : 1 };
  const y = g.op('Conv', inputs, bn ? bn.name : layer.name, attrs);
  return activation(g, y, layer, layer.name);
}

/** A BatchNormalization that follows no conv it could fold into: scale and shift as BatchNormalization. */
export function emitBatchNorm(g: GraphBuilder, x: string, layer: tf.layers.Layer): string {
  const { scale, shift } = batchNormAffine(batchNormParams(layer));
  const n = scale.length;
  const ones = new Float32Array(n).fill(1);
  const inputs = [x, g.floats(`${layer.name}_scale`, [n], Float32Array.from(scale)), g.floats(`${layer.name}_shift`, [n], Float32Array.from(shift))];
  inputs.push(g.floats(`${layer.name}_mean0`, [n], new Float32Array(n)), g.floats(`${layer.name}_var1`, [n], ones));
  return g.op('BatchNormalization', inputs, layer.name, { epsilon: { float: 0 } });
}

export function emitZeroPadding(g: GraphBuilder, x: string, layer: tf.layers.Layer): string {
  const p = (layer.getConfig() as { padding: [[number, number], [number, number]] }).padding;
  const pads = g.int64s(`${layer.name}_pads`, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]);
  return g.op('Pad', [x, pads], layer.name); // mode 'constant', value 0: Keras' zero padding
}

export function emitMaxPool(g: GraphBuilder, x: string, layer: tf.layers.Layer): string {
  const c = layer.getConfig() as Config;
  const k = pair(c.poolSize);
  const s = pair(c.strides ?? c.poolSize);
  return g.op('MaxPool', [x], layer.name, { kernel_shape: k, strides: s, pads: padsFor(layer, k, s) });
}

export function emitDense(g: GraphBuilder, x: string, layer: tf.layers.Layer): string {
  const [kernel, bias] = layer.getWeights();
  const [cin, cout] = kernel.shape as number[];
  const inputs = [x, g.floats(`${layer.name}_W`, [cin, cout], values(kernel))];
  if (bias) inputs.push(g.floats(`${layer.name}_B`, [cout], values(bias)));
  const y = g.op('Gemm', inputs, `${layer.name}_gemm`);
  return activation(g, y, layer, layer.name);
}

export function emitGlobalAveragePool(g: GraphBuilder, x: string, layer: tf.layers.Layer): string {
  const pooled = g.op('GlobalAveragePool', [x], layer.name);
  return g.op('Flatten', [pooled], `${layer.name}_flat`, { axis: 1 });
}
