/**
 * Runs that last: a run killed with SIGKILL is found interrupted and resumes to exactly the result
 * of an uninterrupted run; `reproduce seed` runs end to end and its JSON is internally consistent.
 * Real processes, real SQLite, the real engine on the cpu backend with a tiny width.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS } from '../src-main/contract';
import { inspectModel } from '../src-main/engine/params';
import { createHost } from '../src-main/host/host';
import type { JobStep } from '../src-main/host/jobProgress';
import { PROFILES, reproduceSeed, resultsJson, timeReproduced } from '../src-main/host/reproduce';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'dwswap.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-runs-'));
let zip: string;

beforeAll(() => {
  zip = makeTinyCifarZip(tmp, { perClassTrain: 6, perClassTest: 3 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TRAIN = ['train', '--protocol', 'baseline', '--width', '16', '--epochs', '3', '--batch', '20', '--seed', '5', '--bn-momentum', '0.5', '--zero-init-residual'];

function cli(args: string[], store: string) {
  return spawnSync(process.execPath, [CLI, ...args, '--store', store], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DWSWAP_BACKEND: 'cpu' } });
}

/** Starts a training run and SIGKILLs it once `when` matches its stderr; resolves with the run id. */
function trainAndKill(store: string, when: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...TRAIN, '--data', zip, '--store', store], { cwd: ROOT, env: { ...process.env, DWSWAP_BACKEND: 'cpu', DWSWAP_PROGRESS_INTERVAL: '0' } });
    let err = '';
    let id = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      id ||= /run (\S+) started/.exec(err)?.[1] ?? '';
      if (id && when.test(err)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' && id ? resolve(id) : reject(new Error(`run was not killed (exit ${code}): ${err.slice(-500)}`))));
  });
}

function finalWeights(store: string, id: string): Buffer {
  return fs.readFileSync(path.join(store, 'runs', id, 'model', 'weights.bin'));
}

describe('a run killed with SIGKILL', () => {
  let reference: { weights: Buffer; testAcc: number; modelDir: string };

  beforeAll(() => {
    const store = path.join(tmp, 'straight');
    const r = cli([...TRAIN, '--data', zip, '--json'], store);
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout);
    reference = { weights: finalWeights(store, run.id), testAcc: run.final.testAcc, modelDir: path.join(store, 'runs', run.id, 'model') };
  }, 120_000);

  it('its saved model, imported as a baseline with --init-from and 0 epochs, measures the same', () => {
    const store = path.join(tmp, 'imported');
    const r = cli(['train', '--protocol', 'baseline', '--init-from', reference.modelDir, '--epochs', '0', '--batch', '20', '--data', zip, '--json'], store);
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run.config.model.widthDivisor, 'the structure comes from the model folder').toBe(16);
    expect(run.final.epochsTrained).toBe(0);
    expect(run.final.testAcc, 'same weights, same test set, same accuracy').toBe(reference.testAcc);
  }, 60_000);

  const points: [string, RegExp][] = [
    ['mid-epoch, before any checkpoint', /epoch 1\/3 batch 2\//],
    ['mid-epoch, after the first checkpoint', /epoch 2\/3 batch 2\//],
    ['right after an epoch ends (checkpoint being written)', /train epoch 2: loss/],
  ];

  for (const [where, when] of points) {
    it(`${where}: is found interrupted and resumes to the uninterrupted result`, async () => {
      const store = path.join(tmp, `killed-${points.findIndex((p) => p[1] === when)}`);
      const id = await trainAndKill(store, when);
      const host = await createHost({ dataDir: store });
      const run = await host.getRun(id);
      expect(run.status, 'marked interrupted at the next start').toBe('interrupted');
      expect(host.store.check(), 'SQLite integrity').toEqual(['ok']);
      await host.close();
      const resumed = cli(['resume', id, '--json'], store);
      expect(resumed.status, resumed.stderr).toBe(0);
      const done = JSON.parse(resumed.stdout);
      expect(done.status).toBe('done');
      expect(done.epochs.filter((e: { phase: string }) => e.phase === 'train').map((e: { epoch: number }) => e.epoch), 'each epoch recorded once').toEqual([1, 2, 3]);
      expect(done.final.testAcc, 'same test accuracy').toBe(reference.testAcc);
      expect(finalWeights(store, id).equals(reference.weights), 'bit-identical final weights').toBe(true);
    }, 120_000);
  }
});

describe('reproduce seed (smoke profile)', () => {
  it('runs baseline, greedy, ours and control and writes consistent results', async () => {
    const host = await createHost({ dataDir: path.join(tmp, 'repro') });
    const steps: { index: number; weights: number[] }[] = [];
    const onStep = (s: readonly JobStep[], index: number) => steps.push({ index, weights: s.map((x) => x.weight) });
    const opts = { profile: PROFILES.smoke, dataPath: zip, seed: 3, backend: 'cpu' as const, onStep };
    const t0 = Date.now();
    const trained = await reproduceSeed(host, opts);
    const seconds = (Date.now() - t0) / 1000;
    // The job announces each of its four runs, weighing finished ones by the epochs they trained.
    expect(steps.map((s) => s.index), 'run k of 4, in order').toEqual([0, 1, 2, 3]);
    expect(steps[0].weights, 'planned: baseline epochs, 16 greedy steps, distillation, control').toEqual([1, 16, 1, 16]);
    const epochs = [trained.classical, trained.seed_protocol, trained.ours].map((r) => r.final!.epochsTrained);
    expect(steps[3].weights.slice(0, 3), 'finished runs weigh what they trained').toEqual(epochs);
    expect(steps[3].weights[3], 'the control weighs the longest swap run').toBe(Math.max(epochs[1], epochs[2]));
    const runs = await timeReproduced(host, trained, PROFILES.smoke);
    const doc = resultsJson(runs, opts, 'dwswap reproduce seed --profile smoke', 'test');
    await host.close();
    // the issue asks for well under a minute on an idle 2-core machine (about 25 s there); the bound
    // here only guards against a runaway, since test machines may be shared
    expect(seconds, 'bounded run time (six runs now: + sensitivity and budget)').toBeLessThan(280);

    expect(Object.keys(doc.models).sort()).toEqual(['classical', 'classical_equal_compute', 'ours', 'seed_protocol']);
    const trainSeconds = Object.values(doc.models).reduce((sum, m) => sum + (m.train_seconds ?? 0), 0);
    expect(doc.wall_seconds, 'the job wall time covers its runs and fits the measured job').toBeGreaterThanOrEqual(Math.floor(trainSeconds));
    expect(doc.wall_seconds).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 1000) + 1);
    for (const [name, m] of Object.entries(doc.models)) {
      for (const k of ['test_acc', 'train_acc', 'params', 'weights_mib', 'blocks_swapped', 'inference_s'] as const) {
        expect(typeof m[k], `${name}.${k}`).toBe('number');
      }
      const expected = inspectModel({ widthDivisor: 16, swapped: m.swapped }).totalParams;
      expect(m.params, `${name}: parameters match its swapped blocks`).toBe(expected);
      expect(m.blocks_swapped, `${name}: blocks_swapped = swapped list`).toBe(m.swapped.length);
      expect(m.weights_mib).toBeCloseTo((m.params * 4) / 2 ** 20, 9);
    }
    for (const [name, m] of Object.entries(doc.models)) {
      const ort = m.inference_ms_per_image?.onnxruntime;
      expect(Object.keys(ort?.batches ?? {}), `${name}: timed in ONNX Runtime at the profile's batches`).toEqual(['1', '4']);
      expect(ort?.threads, `${name}: thread count recorded`).toBe(1);
      expect(m.inference_ms_per_image?.engine, `${name}: the smoke profile skips the engine's timing`).toBeNull();
    }
    expect(doc.inference_timing?.protocol.repeats).toBe(5);
    expect(doc.models.classical.blocks_swapped).toBe(0);
    expect(doc.models.ours.blocks_swapped, 'ours converts all 16 blocks').toBe(16);
    expect(typeof doc.models.ours.zero_shot_test_acc, 'ours records its accuracy before training').toBe('number');
    expect(doc.models.classical.zero_shot_test_acc).toBeNull();
    expect(doc.models.classical_equal_compute.blocks_swapped).toBe(0);

    const pass1 = doc.greedy.filter((g) => g.pass === 1);
    expect(pass1.map((g) => g.block), 'pass 1 runs top to bottom').toEqual(BLOCKS.map((b) => b.label));
    const rejected = pass1.filter((g) => !g.kept).map((g) => g.block).reverse();
    expect(doc.greedy.filter((g) => g.pass === 2).map((g) => g.block), 'pass 2 retries the rejected blocks bottom to top').toEqual(rejected);
    expect(doc.greedy.filter((g) => g.kept).length, 'kept swaps = swapped blocks').toBe(doc.models.seed_protocol.blocks_swapped);

    const spent = Math.max(doc.models.seed_protocol.epochs_trained, doc.models.ours.epochs_trained);
    expect(doc.models.seed_protocol.epochs_trained, 'greedy spent one fine-tune epoch per attempt').toBe(doc.greedy.length * PROFILES.smoke.fineTuneEpochs);
    expect(doc.models.classical_equal_compute.epochs_trained, 'the control trained as long as the longest comparison run').toBe(spent);
    const sel = doc.selection;
    expect(sel.validation.images, 'one of 4 training images per class held out').toBe(10);
    expect(sel.sensitivity.rows.map((r) => r.block), 'every block at r = 1').toEqual(BLOCKS.map((b) => b.label));
    expect(sel.sensitivity.evaluated_on).toBe('validation');
    const { budget, greedy, budget_params } = sel.budget_vs_greedy;
    expect(budget_params, "the budget is the greedy run's parameter count").toBe(greedy.params);
    expect(budget.params, 'the budget run meets it').toBeLessThanOrEqual(budget_params);
    expect(budget.params).toBe(inspectModel({ widthDivisor: 16, swapped: budget.swapped }).totalParams);
    const predicted = Object.keys(budget.chosen).reduce((s, b) => s + sel.sensitivity.rows.find((r) => r.block === BLOCKS.find((x) => x.name === b)!.label)!.drop, 0);
    expect(budget.predicted_drop, 'the prediction is the sum of the chosen rows').toBeCloseTo(predicted, 12);
    expect(greedy.selected_on, "the study's protocol, labelled").toBe('test');

    expect(doc.profile.name).toBe('smoke');
    expect(doc.backend).toBe('cpu');
    expect(doc.dataset.checksum).toMatch(/^[0-9a-f]{64}$/);
  }, 300_000);
});
