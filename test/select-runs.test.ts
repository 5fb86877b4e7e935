/**
 * The selection run kinds through the real host (SQLite, worker thread, engine on a tiny model):
 * a baseline with its validation split, a sensitivity run from it, a budget run of ours chosen
 * from that table (prediction recorded next to the outcome), greedy choosing on validation, the
 * bad-input messages, and the CLI's per-block --swap syntax.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS, runModel, type RunRecord } from '../src-main/contract';
import { inspectModel } from '../src-main/engine/params';
import { createHost, type Host } from '../src-main/host/host';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'dwswap.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-selruns-'));
let zip: string;
let host: Host;
let baseline: RunRecord;
let sens: RunRecord;

const common = () => ({ data: { path: zip, trainPerClass: 5, testPerClass: 2 }, batchSize: 20, seed: 3, backend: 'cpu' as const });

async function finished(id: string): Promise<RunRecord> {
  await host.idle();
  const run = await host.getRun(id);
  expect(run.status, run.statusReason ?? '').toBe('done');
  return run;
}

beforeAll(async () => {
  zip = makeTinyCifarZip(tmp, { perClassTrain: 5, perClassTest: 2 });
  host = await createHost({ dataDir: path.join(tmp, 'store') });
  const b = await host.startRun({ ...common(), protocol: 'baseline', epochs: 1, model: { widthDivisor: 32, bnMomentum: 0.5, zeroInitResidual: true }, validation: { fraction: 0.2, seed: 1 } });
  baseline = await finished(b.id);
  const s = await host.startRun({ ...common(), protocol: 'sensitivity', baselineRunId: baseline.id, sensitivity: { ranks: [1, 2], bnRecalibrationBatches: 1 } });
  sens = await finished(s.id);
}, 240_000);
afterAll(async () => {
  await host.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('validation split in a run', () => {
  it('is carved from the training images and recorded with the run', () => {
    expect(baseline.config.validation).toEqual({ fraction: 0.2, seed: 1 });
    expect(baseline.final?.valImages, '1 of 5 images per class').toBe(10);
    expect(typeof baseline.final?.valAcc).toBe('number');
  });

  it('is inherited by runs from the baseline, and a different one is refused', async () => {
    expect(sens.config.validation).toEqual(baseline.config.validation);
    await expect(host.startRun({ ...common(), protocol: 'sensitivity', baselineRunId: baseline.id, validation: { fraction: 0.3, seed: 1 } })).rejects.toThrow(/validation split must be the baseline's/);
  });
});

describe('sensitivity run', () => {
  it("stores the table: every block at r = 1 and 2 (r <= min(9, N)), measured on validation, with the baseline's accuracy", () => {
    const t = sens.final!.sensitivity!;
    expect(t.evaluatedOn).toBe('validation');
    expect(t.images).toBe(10);
    expect(t.baselineAcc).toBe(baseline.final!.valAcc);
    expect(t.rows.length + t.skipped.length).toBe(32);
    expect(t.skipped.map((x) => `${x.block}:${x.r}`), 'conv2 blocks have N = 2 filters at 1/32: r = 2 fits').toEqual([]);
    expect(sens.weightsPath, 'a table, not a model').toBeNull();
  });

  it('times the baseline in ONNX Runtime: whole model and each block dense vs separable at each r, ms saved per row', () => {
    const t = sens.final!.sensitivity!;
    const l = t.latency!;
    expect(l, t.latencyNote ?? '').toBeTruthy();
    expect(l).toMatchObject({ provider: 'cpu', threads: 1, batch: 64 });
    expect(l.classicalMs).toBeGreaterThan(0);
    expect(t.classical.ms).toBe(l.classicalMs);
    expect(l.blocks.map((b) => b.block)).toEqual(BLOCKS.map((b) => b.name));
    for (const b of l.blocks) expect(Object.keys(b.separableMs).sort(), b.block).toEqual(['1', '2']);
    for (const row of t.rows) {
      const b = l.blocks.find((x) => x.block === row.block)!;
      expect(row.msSaved, `${row.label} r=${row.r}`).toBeCloseTo(b.denseMs - b.separableMs[String(row.r)], 12);
    }
  });

  it('refuses depth multipliers no block can use, naming the range', async () => {
    await expect(host.startRun({ ...common(), protocol: 'sensitivity', baselineRunId: baseline.id, sensitivity: { ranks: [1, 12] } })).rejects.toThrow(/depth multiplier 12 fits no block: .*use ranks 1 to/);
  });
});

describe('budget run (ours on the chosen blocks)', () => {
  it('meets the parameter budget with the knapsack choice and records the predicted drop next to the measured ones', async () => {
    const { id } = await host.startRun({ ...common(), protocol: 'ours', epochs: 1, baselineRunId: baseline.id, optimiser: { preset: 'fast' }, budget: { sensitivityRunId: sens.id, kind: 'params', unit: 'percent', value: 90 } });
    const run = await finished(id);
    if (run.config.protocol !== 'ours') throw new Error('not an ours run');
    const plan = run.config.budget!.plan!;
    expect(run.final!.params, 'params as planned').toBe(plan.cost);
    expect(plan.cost).toBeLessThanOrEqual(plan.target);
    const expected = inspectModel(runModel(run.config)).totalParams;
    expect(run.final!.params, 'and as the architecture counts them').toBe(expected);
    expect(run.swapped.sort()).toEqual(Object.keys(plan.ranks).sort());
    const b = run.final!.budget!;
    expect(b.predictedDrop).toBe(plan.predictedDrop);
    expect(b.finalDrop).toBeCloseTo(plan.baselineAcc - run.final!.valAcc!, 12);
    expect(typeof b.zeroShotDrop).toBe('number');
  }, 120_000);

  it('refuses impossible budgets naming the reachable range', async () => {
    const ask = (value: number) => host.startRun({ ...common(), protocol: 'ours', epochs: 1, baselineRunId: baseline.id, budget: { sensitivityRunId: sens.id, kind: 'params', unit: 'percent', value } });
    await expect(ask(120)).rejects.toThrow(/above the classical model's .*reachable with this sensitivity table: .* to .*\(100%, the classical model\)/);
    await expect(ask(1)).rejects.toThrow(/cannot be met even with every swap; reachable/);
    await expect(host.startRun({ ...common(), protocol: 'ours', epochs: 1, baselineRunId: baseline.id, budget: { sensitivityRunId: baseline.id, value: 90 } })).rejects.toThrow(/not a finished sensitivity run/);
    await expect(host.startRun({ ...common(), protocol: 'ours', epochs: 1, baselineRunId: baseline.id, budget: { sensitivityRunId: sens.id, kind: 'ms', unit: 'percent', value: 0.01 } })).rejects.toThrow(
      /a budget of [\d.]+ ms\/image cannot be met even with every swap; reachable with this sensitivity table: [\d.]+ ms\/image/,
    );
  });

  it('plans an inference-time budget from the run\'s ONNX Runtime table when one is reachable', async () => {
    const t = sens.final!.sensitivity!;
    const best = t.rows.filter((x) => (x.msSaved ?? 0) > 0);
    // At 1/32 width a separable conv can be slower than the dense one in ONNX Runtime; then only
    // the classical model meets a time budget, and a budget of 100% plans no swap at all.
    const value = best.length ? t.classical.ms! - Math.max(...best.map((x) => x.msSaved!)) / 2 : t.classical.ms!;
    const { id } = await host.startRun({ ...common(), protocol: 'ours', epochs: 1, baselineRunId: baseline.id, optimiser: { preset: 'fast' }, budget: { sensitivityRunId: sens.id, kind: 'ms', unit: 'absolute', value } });
    const run = await host.getRun(id);
    await host.cancelRun(id).catch(() => undefined);
    await host.idle();
    if (run.config.protocol !== 'ours') throw new Error('not an ours run');
    const plan = run.config.budget!.plan!;
    expect(plan.classicalCost).toBe(t.classical.ms);
    expect(plan.cost).toBeLessThanOrEqual(value + 1e-12);
    const saved = Object.entries(plan.ranks).reduce((s, [b, r]) => s + t.rows.find((x) => x.block === b && x.r === r)!.msSaved!, 0);
    expect(plan.cost).toBeCloseTo(t.classical.ms! - saved, 12);
    expect(Object.keys(plan.ranks).length > 0).toBe(best.length > 0);
  }, 120_000);
});

describe('greedy on validation', () => {
  it('keeps swaps by validation accuracy and reports test accuracy beside it', async () => {
    const { id } = await host.startRun({ ...common(), protocol: 'greedy', baselineRunId: baseline.id, greedy: { threshold: 0, fineTuneEpochs: 0, secondPass: false } });
    const run = await finished(id);
    expect(run.config.protocol === 'greedy' && run.config.greedy.selectOn).toBe('validation');
    expect(run.greedy).toHaveLength(16);
    for (const g of run.greedy) {
      expect(typeof g.valAcc, g.label).toBe('number');
      expect(g.kept, 'threshold 0 keeps every swap').toBe(true);
    }
  }, 120_000);
});

describe('CLI', () => {
  it('dwswap sensitivity --baseline RUN --ranks 1 --json prints the table of a new sensitivity run', () => {
    const store = path.join(tmp, 'cli-store');
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--store', store], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DWSWAP_BACKEND: 'cpu' } });
    const b = run(['train', '--protocol', 'baseline', '--width', '32', '--epochs', '1', '--batch', '20', '--train-per-class', '5', '--data', zip, '--val-fraction', '0.2', '--json']);
    expect(b.status, b.stderr).toBe(0);
    const id = JSON.parse(b.stdout).id;
    const s = run(['sensitivity', '--baseline', id, '--ranks', '1', '--bn-batches', '1', '--json']);
    expect(s.status, s.stderr).toBe(0);
    const t = JSON.parse(s.stdout);
    expect(t.baselineRunId).toBe(id);
    expect(t.rows).toHaveLength(16);
    expect(t.images, 'the baseline’s 20% split: 1 of 5 per class').toBe(10);
    const bad = run(['sensitivity', '--baseline', id, '--ranks', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--ranks takes whole numbers 1 to 9/);
  }, 180_000);

  it('inspect --swap conv2_1:2,conv4_3 gives conv2_1 its own r', () => {
    const r = spawnSync(process.execPath, [CLI, 'inspect', '--width', '16', '--swap', 'conv2_1:2,conv4_3', '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.totalParams).toBe(inspectModel({ widthDivisor: 16, swapped: ['conv2_1', 'conv4_3'], blockRanks: { conv2_1: 2 } }).totalParams);
    expect(out.blocks[0].convParams, '9 M r + M r N + N at M = N = 4, r = 2').toBe(9 * 4 * 2 + 4 * 2 * 4 + 4);
    const bad = spawnSync(process.execPath, [CLI, 'inspect', '--swap', 'conv2_1:x'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/depth multiplier 'x' for conv2_1 in --swap must be a whole number 1 to 9/);
  });
});
