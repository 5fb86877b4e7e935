/**
 * The workbench's TF.js ResNet-50 (any run: classical, any swapped blocks, any depth multiplier,
 * with or without the BatchNorm between) as an ONNX model, opset 13. The graph takes the engine's
 * input, NHWC float32 (batch, H, W, 3) normalised as the engine normalises, transposes it to NCHW
 * once, and gives the model's softmax output. Every BatchNormalization whose input is a conv used
 * by nothing else is folded into that conv.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from './proto';
import { emitBatchNorm, emitConv, emitDense, emitGlobalAveragePool, emitMaxPool, emitZeroPadding, ExportError } from './layers';

export { ExportError };

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'probabilities';

export interface OnnxModel {
  bytes: Uint8Array;
  inputSize: number;
  classes: number;
  /** BatchNormalization layers folded into the conv before them, and those kept as nodes. */
  foldedBatchNorms: number;
  unfoldedBatchNorms: number;
  nodes: number;
}

type Layer = tf.layers.Layer;

function inbound(layer: Layer): Layer[] {
  return layer.inboundNodes.flatMap((n) => n.inboundLayers);
}

/** For each layer, the layers reading its output. */
function consumers(model: tf.LayersModel): Map<string, Layer[]> {
  const map = new Map<string, Layer[]>(model.layers.map((l) => [l.name, []]));
  for (const l of model.layers) for (const src of inbound(l)) map.get(src.name)?.push(l);
  return map;
}

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);

/** The BatchNormalization that may be folded into `layer`: its only reader, with no activation on the conv. */
function foldableBn(layer: Layer, readers: Map<string, Layer[]>): Layer | null {
  if (!CONVS.has(layer.getClassName())) return null;
  const act = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
  const next = readers.get(layer.name) ?? [];
  if (act !== 'linear' || next.length !== 1 || next[0].getClassName() !== 'BatchNormalization') return null;
  const axis = (next[0].getConfig() as { axis?: number | number[] }).axis;
  return [3, -1].includes(Array.isArray(axis) ? axis[0] : (axis ?? -1)) ? next[0] : null;
}

/** Builds the ONNX model of `model` (a single-input, single-output TF.js functional model). */
export function exportOnnx(model: tf.LayersModel, producerVersion: string): OnnxModel {
  const [input] = model.inputs;
  const [, h, w, ch] = input.shape as number[];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || ch !== 3 || h !== w) {
    throw new ExportError('the ONNX exporter takes one square RGB image input (batch, H, H, 3) and one output');
  }
  const g = new GraphBuilder();
  g.fresh(INPUT_NAME);
  const readers = consumers(model);
  const out = new Map<string, string>();
  const folded = new Set<string>();
  let unfolded = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') {
      out.set(layer.name, g.op('Transpose', [INPUT_NAME], 'input_nchw', { perm: [0, 3, 1, 2] }));
      continue;
    }
    if (folded.has(layer.name)) continue;
    const xs = inbound(layer).map((l) => out.get(l.name)!);
    if (cls === 'BatchNormalization') unfolded++;
    const bn = foldableBn(layer, readers);
    if (bn) folded.add(bn.name);
    const y = emitLayer(g, cls, xs, layer, bn);
    out.set(layer.name, y);
    if (bn) out.set(bn.name, y);
  }
  const last = out.get(model.outputs[0].sourceLayer.name)!;
  g.add({ op: 'Identity', inputs: [last], outputs: [g.fresh(OUTPUT_NAME)] });
  const classes = Number(model.outputs[0].shape[1]);
  const bytes = g.encode({
    input: { name: INPUT_NAME, dims: ['batch', h, w, 3] },
    output: { name: OUTPUT_NAME, dims: ['batch', classes] },
    name: model.name,
    producerVersion,
    doc: 'dwswap ResNet-50; input NHWC float32, pixels as (x/255 - mean)/std with the CIFAR-10 mean and std; output softmax probabilities',
  });
  return { bytes, inputSize: h, classes, foldedBatchNorms: folded.size, unfoldedBatchNorms: unfolded, nodes: g.nodes.length };
}

function emitLayer(g: GraphBuilder, cls: string, xs: string[], layer: Layer, bn: Layer | null): string {
  switch (cls) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
      return emitConv(g, xs[0], layer, bn);
    case 'BatchNormalization':
      return emitBatchNorm(g, xs[0], layer);
    case 'Activation': {
      const act = (layer.getConfig() as { activation: string }).activation;
      if (act !== 'relu') throw new ExportError(`layer ${layer.name}: activation '${act}' is not supported by the ONNX exporter (relu only)`);
      return g.op('Relu', xs, layer.name);
    }
    case 'ZeroPadding2D':
      return emitZeroPadding(g, xs[0], layer);
    case 'MaxPooling2D':
      return emitMaxPool(g, xs[0], layer);
    case 'Add':
      return xs.slice(1).reduce((a, b, i) => g.op('Add', [a, b], i === xs.length - 2 ? layer.name : `${layer.name}_${i}`), xs[0]);
    case 'GlobalAveragePooling2D':
      return emitGlobalAveragePool(g, xs[0], layer);
    case 'Dense':
      return emitDense(g, xs[0], layer);
    default:
      throw new ExportError(`layer ${layer.name} (${cls}) has no ONNX form in this exporter; it exports the workbench's ResNet-50 layers only`);
  }
}
