/**
 * Models and optimiser state to and from the TF.js Layers format (model.json + weights.bin), in
 * memory, so the caller decides where and how atomically the files are written. Also loads a Keras
 * model exported with tensorflowjs_converter from a folder, checking that it is a ResNet-50 of the
 * shape the workbench builds and saying what does not match when it is not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BLOCKS, ModelConfigSchema, type ModelConfig } from '../api';
import { convLayerNames, describeModel } from './resnet';
import type { Net } from './swap';

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
  return true;
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
  return json;
}

/** Builds the model from model.json and its shards, given a reader for the shard paths. */
async function modelFromJson(json: tf.io.ModelJSON, readShard: (p: string) => Uint8Array, where: string): Promise<tf.LayersModel> {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const shards = json.weightsManifest.flatMap((g) => g.paths).map(readShard);
  const data = joinWeightData(shards.map((s) => s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength) as ArrayBuffer));
  const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'int32' || w.dtype === 'float32' ? 4 : 1), 0);
  if (data.byteLength !== expected) {
    throw new ModelFileError(`${where}: weight shards hold ${data.byteLength} bytes but model.json describes ${expected}; a shard is truncated or missing — copy the model folder again`);
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer as ArrayBuffer }));
  } catch (e) {
    throw new ModelFileError(`${where} could not be built by TF.js Layers (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Reads back a ModelConfig from a built model's layers (width, swapped blocks, swap variant, head). */
export function inferConfig(model: tf.LayersModel): ModelConfig {
  const { swapped, problems } = describeModel(model);
  if (problems.length) {
    const shown = problems.slice(0, 3).join('; ');
    throw new ModelFileError(`not a ResNet-50 of the study's shape: ${shown}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}; the workbench needs keras.applications layer names (conv2_block1_2_conv ...)`);
  }
  const stem = model.getLayer('conv1_conv').getConfig() as { filters: number };
  const first = swapped[0];
  const dw = first ? (model.getLayer(convLayerNames(first).dw).getConfig() as { depthMultiplier: number }) : null;
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

/** Loads model.json and its shards from `dir`; shard paths must stay inside `dir`. */
export async function loadNetFromDir(dir: string): Promise<Net> {
  const file = fs.existsSync(dir) && fs.statSync(dir).isFile() ? dir : path.join(dir, 'model.json');
  const root = path.dirname(path.resolve(file));
  if (!fs.existsSync(file)) throw new ModelFileError(`no model.json at ${file}; point at a folder exported by tensorflowjs_converter`);
  const json = parseModelJson(fs.readFileSync(file), file);
  const model = await modelFromJson(json, (p) => {
    const target = path.resolve(root, p);
    if (path.isAbsolute(p) || !target.startsWith(root + path.sep)) {
      throw new ModelFileError(`model.json names a weight file outside its folder (${p}); refusing to read it`);
    }
    if (!fs.existsSync(target)) throw new ModelFileError(`weight shard ${p} named in model.json is missing from ${root}`);
    return fs.readFileSync(target);
  }, file);
  return { model, config: inferConfig(model) };
}

/** Convenience for tests and CLI: every block's name that the config marks swapped, in order. */
export function swappedInOrder(cfg: ModelConfig): string[] {
  return BLOCKS.map((b) => b.name).filter((b) => cfg.swapped.includes(b));
}
