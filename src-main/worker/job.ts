/**
 * One run, start to finish, in whatever thread calls it: choose the backend, load the data, run the
 * protocol with checkpoints written atomically into the run's folder, save the final model.
 * The host runs this inside a worker thread (train-worker.ts) so the UI's process never blocks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  loadCifar10,
  loadNetFromDir,
  runProtocol,
  selectBackend,
  serialiseNet,
  stratifiedSplit,
  subset,
  toTensors,
  type CheckpointState,
  type Files,
  type Net,
  type RunJob,
} from '../engine';
import type { FromWorker, JobSpec } from './messages';

/** Crash-safe writes into the run's folder (the store's; train-worker.ts passes them in). */
export interface JobFiles {
  writeFile(file: string, data: string | Uint8Array): Promise<void>;
  writeDir(dir: string, build: (tmpDir: string) => Promise<void>): Promise<void>;
}

const STATE_FILE = 'state.json';

async function writeFiles(io: JobFiles, dir: string, files: Files, state?: CheckpointState): Promise<void> {
  await io.writeDir(dir, async (tmp) => {
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), bytes);
    if (state) fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state));
  });
}

function readCheckpoint(dir: string): RunJob['checkpoint'] {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) return null;
  const files: Files = {};
  for (const name of fs.readdirSync(dir)) if (name !== STATE_FILE) files[name] = fs.readFileSync(path.join(dir, name));
  return { files, state: JSON.parse(fs.readFileSync(stateFile, 'utf8')) as CheckpointState };
}

/** The dataset as tensors, with the run's validation split (if any) carved out of the training images. */
async function loadData(spec: JobSpec, post: (m: FromWorker) => void): Promise<RunJob['data']> {
  const d = spec.config.data;
  const cifar = await loadCifar10(d.path, { trainPerClass: d.trainPerClass, testPerClass: d.testPerClass, cacheDir: spec.cacheDir });
  const v = spec.config.validation;
  const split = v && v.fraction > 0 ? stratifiedSplit(cifar.train.labels, v.fraction, v.seed) : null;
  const train = split ? subset(cifar.train, split.train) : cifar.train;
  const val = split ? subset(cifar.train, split.val) : null;
  post({ type: 'dataset', checksum: cifar.checksum, train: train.count, test: cifar.test.count, val: val?.count ?? 0, source: cifar.source });
  return { train: toTensors(train, cifar.classes), test: toTensors(cifar.test, cifar.classes), val: val && val.count > 0 ? toTensors(val, cifar.classes) : null };
}

/** Runs the job; every outcome, including failure, ends with exactly one terminal message. */
export async function runJob(spec: JobSpec, signal: AbortSignal, post: (m: FromWorker) => void, io: JobFiles): Promise<void> {
  try {
    post({ type: 'backend', report: await selectBackend(spec.config.backend) });
    const data = await loadData(spec, post);
    const checkpointDir = path.join(spec.runDir, 'checkpoint');
    const ctx: RunJob = {
      config: spec.config,
      signal,
      emit: (event) => post({ type: 'engine', event }),
      data,
      loadBaseline: (): Promise<Net> => {
        if (!spec.baselineModelDir) throw Object.assign(new Error('this protocol needs a finished baseline run; choose one'), { code: 'bad-input' });
        return loadNetFromDir(spec.baselineModelDir);
      },
      saveCheckpoint: async (files, state) => {
        await writeFiles(io, checkpointDir, files, state);
        post({ type: 'checkpoint', dir: checkpointDir, epochsSpent: state.epochsSpent });
      },
      checkpoint: spec.resume ? readCheckpoint(checkpointDir) : null,
      progressInterval: Number(process.env.DWSWAP_PROGRESS_INTERVAL ?? 1),
    };
    if (ctx.checkpoint) post({ type: 'resumed', greedy: ctx.checkpoint.state.greedy?.records ?? [], epochsSpent: ctx.checkpoint.state.epochsSpent });
    const result = await runProtocol(ctx);
    if (result.cancelled || !result.final) {
      post({ type: 'cancelled' });
      return;
    }
    const final = result.final;
    // A sensitivity run makes a table, not a model: no model folder.
    const modelDir = result.net ? path.join(spec.runDir, 'model') : null;
    if (result.net && modelDir) await writeFiles(io, modelDir, await serialiseNet(result.net));
    await io.writeFile(path.join(spec.runDir, 'final.json'), JSON.stringify({ final, greedy: result.greedy }));
    post({ type: 'done', final, swapped: result.net?.config.swapped ?? [], modelDir });
    tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y, ...(data.val ? [data.val.x, data.val.y] : [])]);
  } catch (e) {
    const err = e as Error & { code?: string };
    post({ type: 'failed', message: (err.message ?? String(e)).split('\n')[0], code: err.code ?? (err.name === 'DataError' ? 'bad-input' : 'internal') });
  }
}
