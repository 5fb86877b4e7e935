/**
 * Fixtures for the bad-input and security tests: a data folder seeded with runs and model files
 * (built once, copied per case), a fingerprint of everything saved in it, and a CLI runner.
 *
 * "Nothing changed" means: the same runs with the same records (listRuns + getRun of each), and
 * the same files and folders with the same bytes, leaving out what merely opening the store
 * touches (runs.db and its -wal/-shm, store.lock and store.lock.db) and the decoded-data cache.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { RunConfigSchema, runModel, type RunConfigInput, type RunRecord } from '../../src-main/contract';
import { serialiseNet, type Files } from '../../src-main/engine/modelio';
import { buildResNet50 } from '../../src-main/engine/resnet';
import { openStore, type Store } from '../../src-main/store';
import { makeTinyCifarZip } from './tiny-cifar';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'dwswap.mjs');

/** The seeded folder's runs, by role. */
export interface Seed {
  dataDir: string;
  dataset: string;
  runs: {
    baseline: string;
    truncatedShard: string;
    corruptJson: string;
    notResNet: string;
    missingShard: string;
    failedNoData: string;
  };
}

export const TINY_DATA = { perClassTrain: 3, perClassTest: 2, classes: ['a', 'b'] };

/**
 * A run config on `dataset` that would be accepted: baseline, width 1/64, one epoch, cpu. `extra`
 * overrides any field, the protocol included (other protocols' fields are the caller's to add).
 */
export function okConfig(dataset: string, extra: object = {}): RunConfigInput {
  return {
    protocol: 'baseline',
    data: { path: dataset },
    model: { widthDivisor: 64 },
    epochs: 1,
    batchSize: 4,
    backend: 'cpu',
    ...extra,
  } as RunConfigInput;
}

/** model.json + weights.bin + config.json of a width-1/64 ResNet-50, and of a two-layer model that is not one. */
export async function modelFiles(): Promise<{ resnet: Files; dense: Files }> {
  await tf.setBackend('cpu');
  const cfg = runModel(RunConfigSchema.parse(okConfig('x', { model: { widthDivisor: 64, classes: TINY_DATA.classes.length } })));
  const resnet = buildResNet50(cfg, 1);
  const dense = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
  const out = {
    resnet: await serialiseNet({ model: resnet, config: cfg }),
    dense: await serialiseNet({ model: dense as unknown as tf.LayersModel, config: cfg }),
  };
  resnet.dispose();
  dense.dispose();
  return out;
}

function writeFiles(dir: string, files: Files): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
}

/** A finished run whose model folder holds `files` (as the worker leaves one). */
export function doneRun(store: Store, name: string, dataset: string, files: Files): string {
  const config = okConfig(dataset, { name, model: { widthDivisor: 64, classes: TINY_DATA.classes.length } });
  const { id } = store.createRun(RunConfigSchema.parse(config), { appVersion: 'test' });
  writeFiles(path.join(store.runDir(id), 'model'), files);
  store.setArtefacts(id, { weightsPath: 'model' });
  store.setStatus(id, 'done');
  return id;
}

/** Builds the seeded data folder under `root` (a tiny dataset beside it). */
export async function buildSeed(root: string): Promise<Seed> {
  const dataset = makeTinyCifarZip(path.join(root, 'datasets'), { ...TINY_DATA, name: 'tiny.zip' });
  const dataDir = path.join(root, 'seed');
  const { resnet, dense } = await modelFiles();
  const store = openStore(dataDir);
  try {
    const json = JSON.parse(Buffer.from(resnet['model.json']).toString('utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    const missing = {
      ...resnet,
      'model.json': Buffer.from(
        JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: ['weights-2.bin'] }] }),
      ),
    };
    const runs = {
      baseline: doneRun(store, 'good baseline', dataset, resnet),
      truncatedShard: doneRun(store, 'truncated shard', dataset, {
        ...resnet,
        'weights.bin': resnet['weights.bin'].subarray(0, 1000),
      }),
      corruptJson: doneRun(store, 'corrupt model.json', dataset, {
        ...resnet,
        'model.json': Buffer.from('{"modelTopology": {"class_na'),
      }),
      notResNet: doneRun(store, 'not a resnet', dataset, dense),
      missingShard: doneRun(store, 'missing shard', dataset, missing),
      failedNoData: '',
    };
    const failed = store.createRun(
      RunConfigSchema.parse(okConfig(path.join(root, 'datasets', 'moved-away.zip'), { name: 'lost its data' })),
      { appVersion: 'test' },
    );
    store.setStatus(failed.id, 'failed', 'the training worker stopped unexpectedly (exit code 1)');
    runs.failedNoData = failed.id;
    return { dataDir, dataset, runs };
  } finally {
    store.close();
  }
}

/** A fresh copy of the seeded folder for one case. */
export function copySeed(seed: Seed, dest: string): string {
  fs.cpSync(seed.dataDir, dest, { recursive: true });
  return dest;
}

const CHURN = new Set(['runs.db', 'runs.db-wal', 'runs.db-shm', 'store.lock', 'store.lock.db', 'cache']);

/** Every file (sha256) and folder under `dir`, by relative path; symbolic links by their target. */
export function fileFingerprint(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  if (!fs.statSync(dir).isDirectory()) return { '': sha256(fs.readFileSync(dir)) };
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!prefix && CHURN.has(e.name)) continue;
    const rel = prefix + e.name;
    const full = path.join(dir, e.name);
    if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
    else if (e.isDirectory()) Object.assign(out, { [`${rel}/`]: 'dir' }, fileFingerprint(full, `${rel}/`));
    else out[rel] = e.isFile() ? sha256(fs.readFileSync(full)) : 'special';
  }
  return out;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The runs as the store answers them: the list and every record. */
export async function runState(host: {
  listRuns(): Promise<unknown[]> | unknown[];
  getRun(id: string): Promise<RunRecord> | RunRecord;
}): Promise<unknown> {
  const list = (await host.listRuns()) as { id: string }[];
  const records = await Promise.all(list.map((r) => host.getRun(r.id)));
  return { list, records };
}

/** What a data folder holds: its runs (opening the store, when nothing else has it open) and its files. */
export async function folderState(dataDir: string): Promise<unknown> {
  const files = fileFingerprint(dataDir);
  if (!fs.existsSync(path.join(dataDir, 'runs.db'))) return { runs: null, files };
  const store = openStore(dataDir);
  try {
    return { runs: await runState(store), files };
  } finally {
    store.close();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Largest file the process may write, in KiB (bash's `ulimit -f`): writes past it fail with EFBIG, as on a full disk. */
  fileSizeLimitKiB?: number;
  cwd?: string;
}

/** Runs `node bin/dwswap.mjs ...args` and collects its output and exit code. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env = { ...process.env, DWSWAP_DATA: '', ...opts.env };
  const node = [process.execPath, CLI, ...args];
  const [cmd, argv] =
    opts.fileSizeLimitKiB === undefined
      ? [node[0], node.slice(1)]
      : ['bash', ['-c', `ulimit -f ${opts.fileSizeLimitKiB} && exec "$@"`, 'dwswap', ...node]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs at most `n` of the functions given to it at once (CLI processes are heavy on 2 cores). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active < n) active++;
    else await new Promise<void>((r) => waiting.push(r)); // the finishing run hands its slot over
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
