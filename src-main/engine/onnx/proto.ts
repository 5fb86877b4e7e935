/**
 * ONNX graphs as protobuf messages, built with protobufjs from ONNX's own schema (onnx.proto,
 * loaded from the descriptor generated from it): nodes, float32 initialisers, typed inputs and
 * outputs, one default-domain opset. Nothing here encodes bytes by hand.
 */
import protobuf from 'protobufjs';
import schema from './onnx-schema.json';

export const OPSET = 13;
/** IR version 8 (ONNX 1.10+), which ONNX Runtime 1.x reads. */
export const IR_VERSION = 8;

const root = protobuf.Root.fromJSON(schema as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

export type AttrValue = number | number[] | { float: number };

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  name?: string;
}

/** A graph under construction: nodes in topological order, named initialisers, fresh names. */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  private readonly inits: object[] = [];
  private used = new Set<string>();

  /** A tensor name not yet used in this graph, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a float32 initialiser; returns its name. */
  floats(base: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`initialiser ${base}: ${data.length} values for shape [${dims}]`);
    const name = this.fresh(base);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inits.push({ name, dims, dataType: FLOAT, rawData: littleEndian(raw) });
    return name;
  }

  /** Adds an int64 initialiser (e.g. Pad's pads); returns its name. */
  int64s(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.inits.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  }

  /** Appends a node; its output names must come from fresh(). */
  add(node: GraphNode): string {
    this.nodes.push({ ...node, name: node.name ?? node.outputs[0] });
    return node.outputs[0];
  }

  /** One node with one fresh output named after `base`. */
  op(op: string, inputs: string[], base: string, attrs?: Record<string, AttrValue>): string {
    return this.add({ op, inputs, outputs: [this.fresh(base)], attrs });
  }

  /** The whole model, encoded with ONNX's schema. */
  encode(io: { input: TensorInfo; output: TensorInfo; name: string; producerVersion: string; doc?: string }): Uint8Array {
    const model = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'dwswap',
      producerVersion: io.producerVersion,
      docString: io.doc ?? '',
      graph: {
        name: io.name,
        node: this.nodes.map(nodeProto),
        initializer: this.inits,
        input: [valueInfo(io.input)],
        output: [valueInfo(io.output)],
      },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`ONNX model does not fit onnx.proto: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

/** A graph input or output: name, float32, dims (a string names a free dimension such as the batch). */
export interface TensorInfo {
  name: string;
  dims: (number | string)[];
}

function valueInfo(t: TensorInfo) {
  const dim = t.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name: t.name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function nodeProto(n: GraphNode) {
  const attribute = Object.entries(n.attrs ?? {}).map(([name, v]) => {
    if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
    if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
    return { name, type: ATTR.FLOAT, f: v.float };
  });
  return { input: n.inputs, output: n.outputs, name: n.name, opType: n.op, domain: '', attribute };
}

/** ONNX stores raw tensor data little-endian; copy (and swap, on a big-endian host). */
function littleEndian(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] === 1) return copy;
  for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse();
  return copy;
}

/** Encodes a ModelProto given as a plain object (e.g. a decoded one, edited), with ONNX's schema. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Decodes a file with ONNX's schema (for tests and for reading what a model declares). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}
