/**
 * One run, start to finish, in whatever thread calls it: choose the backend, load the data, run the
 * protocol with checkpoints written atomically into the run's folder, save the final model.
 * The host runs this inside a worker thread (train-worker.ts) so the UI's process never blocks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../engine/backend';
import { loadCifar10, toTensors } from '../engine/data';
import { loadNetFromDir, serialiseNet, type Files } from '../engine/modelio';
import { runBaseline, runControl, runGreedy, runManual, runOurs, type CheckpointState, type EngineEvent, type ProtocolResult, type RunContext } from '../engine/protocols';
import type { Net } from '../engine/swap';
import type { TensorData } from '../engine/train';
import { writeDirAtomic, writeFileAtomic } from '../store/files';
import type { FromWorker, JobSpec } from './messages';

const PROTOCOLS: Record<JobSpec['config']['protocol'], (ctx: RunContext) => Promise<ProtocolResult>> = {
  baseline: runBaseline,
  greedy: runGreedy,
  ours: runOurs,
  manual: runManual,
  control: runControl,
};

const STATE_FILE = 'state.json';

async function writeFiles(dir: string, files: Files, state?: CheckpointState): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), bytes);
    if (state) fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state));
  });
}

function readCheckpoint(dir: string): RunContext['checkpoint'] {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) return null;
  const files: Files = {};
  for (const name of fs.readdirSync(dir)) if (name !== STATE_FILE) files[name] = fs.readFileSync(path.join(dir, name));
  return { files, state: JSON.parse(fs.readFileSync(stateFile, 'utf8')) as CheckpointState };
}

async function loadData(spec: JobSpec, post: (m: FromWorker) => void): Promise<{ train: TensorData; test: TensorData }> {
  const d = spec.config.data;
  const cifar = await loadCifar10(d.path, { trainPerClass: d.trainPerClass, testPerClass: d.testPerClass, cacheDir: spec.cacheDir });
  post({ type: 'dataset', checksum: cifar.checksum, train: cifar.train.count, test: cifar.test.count, source: cifar.source });
  return { train: toTensors(cifar.train, cifar.classes), test: toTensors(cifar.test, cifar.classes) };
}

/** Runs the job; every outcome, including failure, ends with exactly one terminal message. */
export async function runJob(spec: JobSpec, signal: AbortSignal, post: (m: FromWorker) => void): Promise<void> {
  try {
    post({ type: 'backend', report: await selectBackend(spec.config.backend) });
    const data = await loadData(spec, post);
    const checkpointDir = path.join(spec.runDir, 'checkpoint');
    const ctx: RunContext = {
      config: spec.config,
      signal,
      emit: runEta((event) => post({ type: 'engine', event })),
      data,
      loadBaseline: (): Promise<Net> => {
        if (!spec.baselineModelDir) throw Object.assign(new Error('this protocol needs a finished baseline run; choose one'), { code: 'bad-input' });
        return loadNetFromDir(spec.baselineModelDir);
      },
      saveCheckpoint: async (files, state) => {
        await writeFiles(checkpointDir, files, state);
        post({ type: 'checkpoint', dir: checkpointDir, epochsSpent: state.epochsSpent });
      },
      checkpoint: spec.resume ? readCheckpoint(checkpointDir) : null,
      progressInterval: Number(process.env.DWSWAP_PROGRESS_INTERVAL ?? 1),
    };
    if (ctx.checkpoint) post({ type: 'resumed', greedy: ctx.checkpoint.state.greedy?.records ?? [], epochsSpent: ctx.checkpoint.state.epochsSpent });
    const result = await PROTOCOLS[spec.config.protocol](ctx);
    if (result.cancelled || !result.net) {
      post({ type: 'cancelled' });
      return;
    }
    const final = result.final!;
    const modelDir = path.join(spec.runDir, 'model');
    await writeFiles(modelDir, await serialiseNet(result.net));
    await writeFileAtomic(path.join(spec.runDir, 'final.json'), JSON.stringify({ final, greedy: result.greedy }));
    post({ type: 'done', final, swapped: result.net.config.swapped, modelDir });
    tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  } catch (e) {
    const err = e as Error & { code?: string };
    post({ type: 'failed', message: (err.message ?? String(e)).split('\n')[0], code: err.code ?? (err.name === 'DataError' ? 'bad-input' : 'internal') });
  }
}

/**
 * Progress events carry the ETA of the phase they come from (one greedy fine-tune, say); replace it
 * with the run's, from the run fraction's pace since this job started (a resumed job starts part
 * way, so the pace is measured from the first fraction it reports).
 */
function runEta(emit: (e: EngineEvent) => void): (e: EngineEvent) => void {
  let first: { fraction: number; at: number } | null = null;
  return (e) => {
    if (e.type !== 'progress') return emit(e);
    const now = performance.now();
    first ??= { fraction: e.fraction, at: now };
    const done = e.fraction - first.fraction;
    if (done <= 0.005) return emit(e);
    const etaSeconds = ((now - first.at) / 1000) * ((1 - e.fraction) / done);
    emit({ ...e, progress: { ...e.progress, etaSeconds } });
  };
}
