/**
 * Models and optimiser state to and from the TF.js Layers format (model.json + weights.bin), in
 * memory, so the caller decides where and how atomically the files are written. Also loads a Keras
 * model exported with tensorflowjs_converter from a folder, checking that it is a ResNet-50 of the
 * shape the workbench builds and saying what does not match when it is not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelConfigSchema, type ModelConfig } from '../contract';
import { convLayerNames, describeLayerNames, describeModel } from './resnet';
import type { Net } from './swap';
import { FileRefusedError, readRegularFileSync } from './safe-read';

export class ModelFileError extends Error {
  readonly code = 'bad-input';
}

export type Files = Record<string, Uint8Array>;

function joinWeightData(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** model.json + weights.bin (+ optimizer.json/.bin, + config.json), as the TF.js Layers format lays them out. */
export async function serialiseNet(net: Net, optimiser?: tf.Optimizer): Promise<Files> {
  let files: Files = {};
  await net.model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = joinWeightData(a.weightData as ArrayBuffer | ArrayBuffer[]);
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'dwswap',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      files = { 'model.json': utf8(JSON.stringify(modelJson)), 'weights.bin': weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  files['config.json'] = utf8(JSON.stringify(net.config));
  if (optimiser) Object.assign(files, await serialiseOptimiser(optimiser));
  return files;
}

async function serialiseOptimiser(opt: tf.Optimizer): Promise<Files> {
  const weights = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  return {
    'optimizer.json': utf8(JSON.stringify({ className: opt.getClassName(), specs })),
    'optimizer.bin': new Uint8Array(data),
  };
}

/** Restores an optimiser's slots (moments, iteration count) saved by serialiseNet. */
export async function restoreOptimiser(opt: tf.Optimizer, files: Files): Promise<boolean> {
  const meta = files['optimizer.json'];
  const bin = files['optimizer.bin'];
  if (!meta || !bin) return false;
  const { className, specs } = JSON.parse(text(meta)) as { className: string; specs: tf.io.WeightsManifestEntry[] };
  if (className !== opt.getClassName()) return false;
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const map = tf.io.decodeWeights(buffer, specs);
  await opt.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] })));
  if (opt instanceof tf.AdamOptimizer) restoreAdamBetaPowers(opt);
  return true;
}

/**
 * Adam's bias corrections use beta^t, which a running optimiser keeps as a product updated once per
 * step in float32 (accBeta *= beta); TF.js's setWeights recomputes it as pow(beta, t + 1), which on
 * the WebGPU backend (exp2/log2 in the shader) differs from the product in the last bits, so a
 * resumed run drifted from the uninterrupted one. The product is replayed here exactly (float32
 * multiplications are correctly rounded on every backend), so a resume is bit-identical.
 */
function restoreAdamBetaPowers(opt: tf.AdamOptimizer): void {
  const adam = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable; beta1: number; beta2: number; iterations: number };
  const power = (beta: number) => {
    const b = Math.fround(beta);
    let acc = b;
    for (let t = 0; t < adam.iterations; t++) acc = Math.fround(acc * b);
    return acc;
  };
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(power(adam.beta1)));
    adam.accBeta2.assign(tf.scalar(power(adam.beta2)));
  });
}

function isManifestGroup(g: unknown): boolean {
  const group = g as { paths?: unknown; weights?: unknown } | null;
  if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) return false;
  if (!group.paths.every((p) => typeof p === 'string' && p.length > 0)) return false;
  return group.weights.every((w: { name?: unknown; shape?: unknown; dtype?: unknown } | null) =>
    !!w && typeof w.name === 'string' && typeof w.dtype === 'string' && Array.isArray(w.shape) && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0),
  );
}

function parseModelJson(bytes: Uint8Array, where: string): tf.io.ModelJSON {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text(bytes)) as tf.io.ModelJSON;
  } catch (e) {
    throw new ModelFileError(`${where} is not valid JSON (${(e as Error).message}); re-export the model with tensorflowjs_converter`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${where} is not a TF.js Layers model (no modelTopology/weightsManifest); export it with tensorflowjs_converter --output_format tfjs_layers_model`);
  }
  if (!json.weightsManifest.every(isManifestGroup)) {
    throw new ModelFileError(`${where} has a malformed weightsManifest (each group needs paths and weights with name, shape and dtype); re-export the model`);
  }
  return json;
}

/** Builds the model from model.json and its shards, given a reader for the shard paths. */
async function modelFromJson(json: tf.io.ModelJSON, readShard: (p: string) => Uint8Array, where: string): Promise<tf.LayersModel> {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const shards = json.weightsManifest.flatMap((g) => g.paths).map(readShard);
  const data = joinWeightData(shards.map((s) => s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength) as ArrayBuffer));
  const expected = manifestBytes(specs);
  if (data.byteLength !== expected) {
    throw new ModelFileError(`${where}: weight shards hold ${data.byteLength} bytes but model.json describes ${expected}; a shard is truncated or missing — copy the model folder again`);
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer as ArrayBuffer }));
  } catch (e) {
    throw new ModelFileError(`${where} could not be built by TF.js Layers (${(e as Error).message.split('\n')[0]})`);
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1 };

/** Bytes the manifest's weights take, as tfjs decodes them. */
function manifestBytes(specs: tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype] ?? 4), 0);
}

/** The problems that make `model` unusable as a ResNet-50, as one line. */
function notResNetMessage(problems: string[]): string {
  const shown = problems.slice(0, 3).join('; ');
  return `not a ResNet-50 of the study's shape: ${shown}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}; the workbench needs keras.applications layer names (conv2_block1_2_conv ...)`;
}

/** Reads back a ModelConfig from a built model's layers (width, swapped blocks, swap variant, head). */
export function inferConfig(model: tf.LayersModel): ModelConfig {
  const { swapped, problems } = describeModel(model);
  if (problems.length) throw new ModelFileError(notResNetMessage(problems));
  const stem = model.getLayer('conv1_conv').getConfig() as { filters: number };
  const first = swapped[0];
  const rankAt = (b: string) => (model.getLayer(convLayerNames(b).dw).getConfig() as { depthMultiplier: number }).depthMultiplier;
  const dw = first ? { depthMultiplier: rankAt(first) } : null;
  const blockRanks = Object.fromEntries(swapped.map((b) => [b, rankAt(b)]).filter(([, r]) => r !== dw?.depthMultiplier));
  const names = new Set(model.layers.map((l) => l.name));
  const heads = [1, 2].map((i) => (names.has(`fc${i}`) ? (model.getLayer(`fc${i}`).getConfig() as { units: number }).units : 0));
  const divisor = Math.max(1, Math.round(64 / stem.filters));
  const out = model.outputs[0].shape[1] ?? 10;
  const input = model.inputs[0].shape[1] ?? 32;
  return ModelConfigSchema.parse({
    widthDivisor: divisor,
    swapped,
    swap: {
      depthMultiplier: dw?.depthMultiplier ?? 1,
      init: 'svd',
      bnBetween: first ? names.has(convLayerNames(first).bn) : false,
      reluBetween: first ? names.has(convLayerNames(first).relu) : false,
    },
    blockRanks,
    head: heads[0] && heads[1] ? heads.map((h) => h * divisor) : [1024, 512],
    classes: out,
    bnMomentum: (model.getLayer('conv1_bn').getConfig() as { momentum: number }).momentum,
    inputSize: input,
  });
}

export async function deserialiseNet(files: Files, where = 'checkpoint'): Promise<Net> {
  const json = files['model.json'];
  if (!json) throw new ModelFileError(`${where} has no model.json`);
  const model = await modelFromJson(parseModelJson(json, `${where}/model.json`), (p) => {
    const shard = files[p];
    if (!shard) throw new ModelFileError(`${where} lacks the weight shard ${p}`);
    return shard;
  }, where);
  return { model, config: inferConfig(model) };
}

const MAX_MODEL_JSON_BYTES = 64 * 1024 ** 2;
const MAX_SHARD_BYTES = 1024 ** 3;

/** A model file read through the bounded reader (regular files only, capped); refusals as ModelFileError. */
function readModelFile(file: string, maxBytes: number): Buffer {
  try {
    return readRegularFileSync(file, { maxBytes, what: 'model file' });
  } catch (e) {
    if (e instanceof FileRefusedError) throw new ModelFileError(e.message);
    throw e;
  }
}

/** model.json in `dir` (or `dir` itself when it is the file), read and parsed; its folder. */
function readModelJson(dir: string): { file: string; root: string; json: tf.io.ModelJSON } {
  const file = fs.existsSync(dir) && fs.statSync(dir).isFile() ? dir : path.join(dir, 'model.json');
  const root = path.dirname(path.resolve(file));
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new ModelFileError(`no model.json at ${file}; point at a folder exported by tensorflowjs_converter`);
  return { file, root, json: parseModelJson(readModelFile(file, MAX_MODEL_JSON_BYTES), file) };
}

/**
 * The file a shard path names, refused unless it stays inside `root`: no absolute paths, no `..`
 * out of the folder, and no symbolic link whose target lies outside it.
 */
function shardFile(root: string, p: string): string {
  const outside = () => new ModelFileError(`model.json names a weight file outside its folder (${p}); refusing to read it`);
  const target = path.resolve(root, p);
  if (path.isAbsolute(p) || !target.startsWith(root + path.sep)) throw outside();
  if (!fs.existsSync(target)) throw new ModelFileError(`weight shard ${p} named in model.json is missing from ${root}`);
  if (!fs.realpathSync(target).startsWith(fs.realpathSync(root) + path.sep)) throw outside();
  if (!fs.statSync(target).isFile()) throw new ModelFileError(`weight shard ${p} in ${root} is not a file; copy the model folder again`);
  return target;
}

/** Loads model.json and its shards from `dir`; shard paths must stay inside `dir`. */
export async function loadNetFromDir(dir: string): Promise<Net> {
  const { file, root, json } = readModelJson(dir);
  const model = await modelFromJson(json, (p) => readModelFile(shardFile(root, p), MAX_SHARD_BYTES), file);
  return { model, config: inferConfig(model) };
}

/**
 * Checks a model folder without building the model (cheap enough for a request handler): model.json
 * parses, every shard lies inside the folder and exists, the shards hold the bytes the manifest
 * describes, and the topology's layer names are a ResNet-50's. Throws ModelFileError otherwise.
 */
export function checkModelDir(dir: string): void {
  const { file, root, json } = readModelJson(dir);
  const specs = json.weightsManifest.flatMap((g) => g.weights ?? []);
  const held = json.weightsManifest.flatMap((g) => g.paths ?? []).reduce((s, p) => s + fs.statSync(shardFile(root, p)).size, 0);
  const expected = manifestBytes(specs);
  if (held !== expected) {
    throw new ModelFileError(`${file}: weight shards hold ${held} bytes but model.json describes ${expected}; a shard is truncated or missing — copy the model folder again`);
  }
  const { problems } = describeLayerNames(topologyLayerNames(json.modelTopology));
  if (problems.length) throw new ModelFileError(notResNetMessage(problems));
}

/** Layer names listed in a Layers-format topology (functional or sequential, Keras or TF.js keys). */
function topologyLayerNames(topology: unknown): Set<string> {
  const t = topology as { config?: { layers?: unknown }; model_config?: { config?: { layers?: unknown } } } | null;
  const layers = t?.config?.layers ?? t?.model_config?.config?.layers;
  const names = new Set<string>();
  if (!Array.isArray(layers)) return names;
  for (const l of layers as { name?: unknown; config?: { name?: unknown } }[]) {
    const name = l?.name ?? l?.config?.name;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}
