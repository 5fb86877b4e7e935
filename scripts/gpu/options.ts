/** The GPU benchmark's options: defaults, and parsing of its command line (one-line errors). */
import { parseArgs } from 'node:util';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export const MODEL_KINDS = ['classical', 'swapped'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const OPTIMISERS = ['adam', 'rmsprop', 'sgd'] as const;
export type OptimiserName = (typeof OPTIMISERS)[number];

export interface BenchOptions {
  backend: BackendChoice;
  /** Channels divided by this: 1 = the full 26.2M-parameter ResNet-50, 16 for a CPU smoke. */
  width: number;
  /** Training batch sizes, measured in this order (the first also before inference). */
  batches: number[];
  /** Timed optimiser steps per (model, batch), after `warmup` untimed ones. */
  steps: number;
  warmup: number;
  /** A CIFAR-10 image-folder zip (or folder / cifar-10-batches-bin); null = random data. */
  data: string | null;
  /** Folder for bench-gpu.json, rewritten after every measurement; null = no file. */
  out: string | null;
  /** Wall-clock seconds after which no new measurement starts. */
  budgetS: number;
  models: ModelKind[];
  /** The large inference batch (batch 1 is always measured too). */
  inferBatch: number;
  /** Images to time inference over (the test set has 10,000). */
  inferImages: number;
  /** Seconds one inference measurement may take; beyond that, time fewer images and project. */
  inferCapS: number;
  optimiser: OptimiserName;
  augment: boolean;
  /** Also time TF.js's model.fit (the baseline loop) on the first model at the first batch size. */
  fitBaseline: boolean;
  seed: number;
}

export const DEFAULTS: BenchOptions = {
  backend: 'auto',
  width: 1,
  batches: [1024],
  steps: 5,
  warmup: 2,
  data: null,
  out: null,
  budgetS: Number.POSITIVE_INFINITY,
  models: [...MODEL_KINDS],
  inferBatch: 1024,
  inferImages: 10_000,
  inferCapS: 20,
  optimiser: 'adam',
  augment: true,
  fitBaseline: false,
  seed: 42,
};

export const USAGE = `usage: bench-gpu [--backend auto|webgpu|cpu] [--width N] [--batch N[,N...]] [--steps N] [--warmup N]
                 [--data ZIP] [--out DIR] [--budget-s S] [--models classical,swapped] [--infer-batch N]
                 [--infer-images N] [--infer-cap-s S] [--optimiser adam|rmsprop|sgd] [--no-augment] [--fit-baseline]
                 [--seed N]`;

function positiveInt(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function positiveNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`--${name} must be a number > 0, got '${raw}'`);
  return n;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const SPEC = {
  backend: { type: 'string' },
  width: { type: 'string' },
  batch: { type: 'string' },
  steps: { type: 'string' },
  warmup: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  'budget-s': { type: 'string' },
  models: { type: 'string' },
  'infer-batch': { type: 'string' },
  'infer-images': { type: 'string' },
  'infer-cap-s': { type: 'string' },
  optimiser: { type: 'string' },
  'no-augment': { type: 'boolean' },
  'fit-baseline': { type: 'boolean' },
  seed: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: SPEC, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message.split('\n')[0] : String(e)}; see --help`);
  }
}

/** Parses argv (without node and script). Throws one-line errors; `--help` throws USAGE. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const values = parse(argv);
  if (values.help) throw new Error(USAGE);
  const o: BenchOptions = { ...DEFAULTS, batches: [...DEFAULTS.batches], models: [...DEFAULTS.models] };
  if (values.backend !== undefined) o.backend = oneOf('backend', values.backend, BACKEND_CHOICES);
  if (values.width !== undefined) o.width = positiveInt('width', values.width);
  if (values.batch !== undefined) o.batches = list(values.batch).map((b) => positiveInt('batch', b));
  if (values.steps !== undefined) o.steps = positiveInt('steps', values.steps);
  if (values.warmup !== undefined) o.warmup = positiveInt('warmup', values.warmup, 0);
  if (values.data !== undefined) o.data = values.data;
  if (values.out !== undefined) o.out = values.out;
  if (values['budget-s'] !== undefined) o.budgetS = positiveNumber('budget-s', values['budget-s']);
  if (values.models !== undefined) o.models = list(values.models).map((m) => oneOf('models', m, MODEL_KINDS));
  if (values['infer-batch'] !== undefined) o.inferBatch = positiveInt('infer-batch', values['infer-batch']);
  if (values['infer-images'] !== undefined) o.inferImages = positiveInt('infer-images', values['infer-images']);
  if (values['infer-cap-s'] !== undefined) o.inferCapS = positiveNumber('infer-cap-s', values['infer-cap-s']);
  if (values.optimiser !== undefined) o.optimiser = oneOf('optimiser', values.optimiser, OPTIMISERS);
  if (values['no-augment']) o.augment = false;
  if (values['fit-baseline']) o.fitBaseline = true;
  if (values.seed !== undefined) o.seed = positiveInt('seed', values.seed, 0);
  if (o.batches.length === 0) throw new Error('--batch needs at least one batch size');
  if (o.models.length === 0) throw new Error('--models needs at least one of classical, swapped');
  return o;
}
