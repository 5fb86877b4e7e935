/**
 * RunConfig as a discriminated union on `protocol`: each protocol's configuration parses with only
 * its own fields, a field from another protocol is refused with a message naming it (through the
 * transports' error mapping too), and runs stored in the old all-fields shape still open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_NAMES, issueField, RunConfigSchema, runModel, runSwapped, upgradeRunConfig } from '../src-main/contract';
import { migrations, openDatabase, schemaVersion } from '../src-main/store/db';
import { openStore } from '../src-main/store/index';
import { RunRecordSchema } from '../src-main/store/schema';
import { toApiError } from '../src-main/transports/errors';

const data = { path: '/data/cifar10.zip' };

/** One accepted configuration per protocol, with only that protocol's fields. */
const VALID = {
  baseline: { protocol: 'baseline', data, epochs: 2, batchSize: 8 },
  baselineFromFolder: { protocol: 'baseline', data, epochs: 0, batchSize: 8, initFrom: '/models/keras' },
  greedy: { protocol: 'greedy', data, batchSize: 8, baselineRunId: 'b', greedy: { fineTuneEpochs: 2 } },
  ours: { protocol: 'ours', data, batchSize: 8, baselineRunId: 'b', epochs: 1, distill: { temperature: 3 } },
  manual: { protocol: 'manual', data, batchSize: 8, epochs: 1, model: { swapped: ['conv2_1', 'conv5_block3'] } },
  control: { protocol: 'control', data, batchSize: 8, baselineRunId: 'b', epochs: 4 },
  sensitivity: { protocol: 'sensitivity', data, batchSize: 8, baselineRunId: 'b', sensitivity: { ranks: [1, 2] } },
} as const;

/** A field from another protocol, and the words its refusal must contain. */
const FOREIGN: { what: string; input: object; field: string; message: RegExp }[] = [
  { what: 'epochs on greedy', input: { ...VALID.greedy, epochs: 3 }, field: 'epochs', message: /^epochs does not apply to the greedy protocol \(.*greedy\.fineTuneEpochs\); remove it$/ },
  { what: 'initFrom on control', input: { ...VALID.control, initFrom: '/m' }, field: 'initFrom', message: /^initFrom does not apply to the control protocol \(only a baseline starts from a model folder\); remove it$/ },
  { what: 'baselineRunId on baseline', input: { ...VALID.baseline, baselineRunId: 'b' }, field: 'baselineRunId', message: /^baselineRunId does not apply to the baseline protocol/ },
  { what: 'a swapped list on ours', input: { ...VALID.ours, model: { swapped: ['conv2_1'] } }, field: 'model.swapped', message: /^model\.swapped does not apply to the ours protocol \(ours swaps all 16 blocks\); remove it$/ },
  { what: 'distill on manual', input: { ...VALID.manual, distill: {} }, field: 'distill', message: /^distill does not apply to the manual protocol/ },
  { what: 'greedy settings on ours', input: { ...VALID.ours, greedy: {} }, field: 'greedy', message: /^greedy does not apply to the ours protocol/ },
  { what: 'epochs on sensitivity', input: { ...VALID.sensitivity, epochs: 1 }, field: 'epochs', message: /^epochs does not apply to the sensitivity protocol \(a sensitivity run does not train\); remove it$/ },
  { what: 'a budget on manual', input: { ...VALID.manual, budget: { sensitivityRunId: 's', value: 70 } }, field: 'budget', message: /^budget does not apply to the manual protocol \(a budget applies to the ours protocol/ },
  { what: 'per-block r on greedy', input: { ...VALID.greedy, model: { blockRanks: { conv2_1: 2 } } }, field: 'model.blockRanks', message: /^model\.blockRanks does not apply to the greedy protocol/ },
  { what: 'greedy settings on sensitivity', input: { ...VALID.sensitivity, greedy: {} }, field: 'greedy', message: /^greedy does not apply to the sensitivity protocol/ },
  { what: 'a swap spec on control', input: { ...VALID.control, model: { swap: { depthMultiplier: 2 } } }, field: 'model.swap', message: /^model\.swap does not apply to the control protocol \(control swaps no block\)/ },
];

describe('RunConfig, one union on protocol', () => {
  it.each(Object.entries(VALID))('parses a %s configuration with its own fields and the defaults', (_name, input) => {
    const c = RunConfigSchema.parse(input);
    expect(c.protocol).toBe(input.protocol);
    expect(c.optimiser, 'the preset is resolved to its values').toMatchObject({ preset: 'fast', name: 'adam', warmupEpochs: 1 });
    expect(Object.keys(c).sort()).toEqual(
      [
        'name', 'protocol', 'model', 'data', 'optimiser', 'batchSize', 'seed', 'backend', 'inferenceBatch',
        ...{ baseline: ['epochs', 'initFrom'], greedy: ['baselineRunId', 'greedy'], ours: ['baselineRunId', 'epochs', 'distill'], manual: ['epochs'], control: ['baselineRunId', 'epochs'], sensitivity: ['baselineRunId', 'sensitivity'] }[c.protocol],
      ]
        .filter((k) => k in c)
        .sort(),
    );
  });

  it('says which blocks each protocol starts with swapped, from the configuration alone', () => {
    expect(runSwapped(RunConfigSchema.parse(VALID.ours))).toEqual([...BLOCK_NAMES]);
    expect(runSwapped(RunConfigSchema.parse(VALID.manual))).toEqual(['conv2_block1', 'conv5_block3']);
    expect(runSwapped(RunConfigSchema.parse(VALID.greedy))).toEqual([]);
    expect(runSwapped(RunConfigSchema.parse(VALID.control))).toEqual([]);
    expect(runModel(RunConfigSchema.parse(VALID.ours)).swap.init).toBe('svd');
  });

  it('parses a sensitivity run (no epochs, settings defaulted by the host) and an ours budget whose plan decides blocks and r', () => {
    const s = RunConfigSchema.parse({ protocol: 'sensitivity', data, batchSize: 8, baselineRunId: 'b' });
    expect(s).toMatchObject({ protocol: 'sensitivity', baselineRunId: 'b' });
    expect(s).not.toHaveProperty('epochs');
    expect(runSwapped(s), 'it tries blocks one at a time; the run itself swaps none').toEqual([]);
    const plan = { ranks: { conv3_block1: 2, conv2_block1: 1 }, predictedDrop: 0.01, cost: 1, classicalCost: 2, target: 1.5, baselineAcc: 0.5, evaluatedOn: 'validation' as const };
    const o = RunConfigSchema.parse({ ...VALID.ours, budget: { sensitivityRunId: 's', value: 70, plan } });
    expect(runSwapped(o), 'in block order, Keras names').toEqual(['conv2_block1', 'conv3_block1']);
    expect(runModel(o).blockRanks).toEqual(plan.ranks);
    const m = RunConfigSchema.parse({ ...VALID.manual, model: { swapped: ['conv2_1'], blockRanks: { conv2_1: 3 } } });
    expect(runModel(m).blockRanks, 'per-block r keyed by Keras name').toEqual({ conv2_block1: 3 });
    const stored = upgradeRunConfig({ ...VALID.sensitivity, epochs: 0, greedy: {}, distill: {}, model: { widthDivisor: 16, swapped: [], blockRanks: {} } });
    expect(RunConfigSchema.parse(stored), 'a sensitivity config stored with every field (epochs: 0) upgrades').toMatchObject({ protocol: 'sensitivity', model: { widthDivisor: 16 } });
  });

  it.each(FOREIGN)('refuses $what with a message naming the field', ({ input, field, message }) => {
    const r = RunConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0];
    expect(issue.message).toMatch(message);
    expect(issueField(issue)).toBe(field);
    expect(toApiError(r.error), 'the transports send the same one line with the field').toEqual({ code: 'bad-input', field, message: issue.message });
  });

  it('requires the baseline run where the protocol starts from one, and SVD for ours', () => {
    for (const p of ['greedy', 'ours', 'control'] as const) {
      const { baselineRunId: _omit, ...input } = VALID[p];
      const r = RunConfigSchema.safeParse(input);
      expect(r.error?.issues[0]).toMatchObject({ path: ['baselineRunId'], message: `the ${p} protocol starts from a trained baseline: choose a finished baseline run` });
    }
    const random = RunConfigSchema.safeParse({ ...VALID.ours, model: { swap: { init: 'random' } } });
    expect(random.error?.issues[0].message).toBe('ours initialises by SVD; set model.swap.init to svd');
    expect(RunConfigSchema.safeParse({ ...VALID.manual, model: { swapped: [] } }).error?.issues[0].message).toMatch(/pick at least one block/);
  });
});

// ---------------------------------------------------------------------------------------------
// Runs stored by 0.1.0: every field for every protocol, the optimiser as a preset name.
// ---------------------------------------------------------------------------------------------

/** A configuration exactly as 0.1.0's schema wrote it. */
function oldConfig(protocol: string, extra: Record<string, unknown> = {}, swapped: string[] = []): Record<string, unknown> {
  return {
    name: '',
    protocol,
    model: {
      widthDivisor: 16,
      swapped,
      swap: { depthMultiplier: 1, init: 'random', bnBetween: false, reluBetween: false },
      head: [1024, 512],
      classes: 10,
      zeroInitResidual: false,
      bnMomentum: 0.99,
      inputSize: 32,
    },
    data: { path: '/data/cifar10.zip', trainPerClass: 0, testPerClass: 0, augment: true },
    optimiser: { preset: 'study', name: 'adam', learningRate: 0.001, centered: false, momentum: 0, warmupEpochs: 0 },
    epochs: 3,
    batchSize: 32,
    seed: 42,
    backend: 'auto',
    greedy: { threshold: 0.7, thresholdMode: 'absolute', fineTuneEpochs: 1, secondPass: true },
    distill: { temperature: 4, alpha: 0.9, bnRecalibrationBatches: 20 },
    inferenceBatch: 256,
    ...extra,
  };
}

const OLD_ROWS: { id: string; protocol: string; config: Record<string, unknown>; swapped: string[]; final: boolean }[] = [
  { id: 'old-baseline', protocol: 'baseline', config: oldConfig('baseline'), swapped: [], final: true },
  { id: 'old-folder', protocol: 'baseline', config: oldConfig('baseline', { epochs: 0, initFrom: '/models/k' }, ['conv2_block1']), swapped: ['conv2_block1'], final: true },
  { id: 'old-greedy', protocol: 'greedy', config: oldConfig('greedy', { baselineRunId: 'old-baseline' }), swapped: ['conv3_block1'], final: true },
  // The UI stored all 16 blocks for ours, the CLI none; the engine swapped all 16 either way.
  { id: 'old-ours-ui', protocol: 'ours', config: oldConfig('ours', { baselineRunId: 'old-baseline' }, [...BLOCK_NAMES]), swapped: [...BLOCK_NAMES], final: false },
  { id: 'old-ours-cli', protocol: 'ours', config: oldConfig('ours', { baselineRunId: 'old-baseline' }), swapped: [], final: false },
  { id: 'old-manual', protocol: 'manual', config: oldConfig('manual', {}, ['conv4_block2']), swapped: ['conv4_block2'], final: false },
  { id: 'old-control', protocol: 'control', config: oldConfig('control', { baselineRunId: 'old-baseline', epochs: 5 }), swapped: [], final: false },
];

describe('runs stored in the old shape', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-union-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('open after the schema v3 migration of a real v2 SQLite file, saying exactly what ran', () => {
    const dir = path.join(tmp, 'data');
    fs.mkdirSync(dir);
    const v2 = openDatabase(path.join(dir, 'runs.db'), migrations.slice(0, 2));
    expect(schemaVersion(v2)).toBe(2);
    const insert = v2.prepare(
      `INSERT INTO runs (id, name, protocol, status, config, created_at, updated_at, app_version, swapped, final)
       VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '0.1.0', ?, ?)`,
    );
    for (const r of OLD_ROWS) {
      insert.run(r.id, r.id, r.protocol, r.final ? 'done' : 'interrupted', JSON.stringify(r.config), JSON.stringify(r.swapped), r.final ? '{"testAcc":0.5}' : null);
    }
    v2.close();

    const store = openStore(dir);
    try {
      expect(store.info().schemaVersion).toBe(migrations.length);
      const runs = Object.fromEntries(OLD_ROWS.map((r) => [r.id, store.getRun(r.id)]));
      for (const [id, run] of Object.entries(runs)) {
        expect(RunConfigSchema.parse(run.config), `${id} parses as today's RunConfig`).toEqual(run.config);
        expect(run.config.optimiser, `${id}: the study preset's values, as the engine ran it`).toEqual({ preset: 'study', name: 'rmsprop', learningRate: 1e-5, centered: true, momentum: 0, warmupEpochs: 0, schedule: 'constant' });
      }
      const b = runs['old-baseline'].config;
      expect(b).not.toHaveProperty('greedy');
      expect(b).not.toHaveProperty('distill');
      expect(b.model).not.toHaveProperty('swapped');
      expect(runs['old-folder'].config).toMatchObject({ protocol: 'baseline', epochs: 0, initFrom: '/models/k' });
      expect(runs['old-folder'].swapped, 'the imported model kept its swapped blocks').toEqual(['conv2_block1']);
      const g = runs['old-greedy'].config;
      expect(g).not.toHaveProperty('epochs');
      expect(g).toMatchObject({ protocol: 'greedy', baselineRunId: 'old-baseline', greedy: { fineTuneEpochs: 1 }, model: { swap: { init: 'random' } } });
      for (const id of ['old-ours-ui', 'old-ours-cli']) {
        const o = runs[id];
        expect(o.config.model, `${id} has no list to disagree`).not.toHaveProperty('swapped');
        expect(o.config).toMatchObject({ protocol: 'ours', epochs: 3, model: { swap: { init: 'svd' } } });
        expect(o.swapped, `${id} records the 16 blocks ours swaps, whichever entry point started it`).toEqual([...BLOCK_NAMES]);
      }
      expect(runs['old-manual'].config).toMatchObject({ protocol: 'manual', model: { swapped: ['conv4_block2'] } });
      expect(runs['old-manual'].config).not.toHaveProperty('greedy');
      expect(runs['old-control'].config).toMatchObject({ protocol: 'control', epochs: 5, baselineRunId: 'old-baseline' });
      expect(runs['old-control'].config.model).not.toHaveProperty('swap');
    } finally {
      store.close();
    }
  });

  it('import from an old .dwrun record through the same upgrade; today’s shape passes unchanged', () => {
    const today = RunConfigSchema.parse(VALID.ours);
    expect(upgradeRunConfig(today)).toEqual(today);
    const config = RunRecordSchema.shape.config.parse(oldConfig('greedy', { baselineRunId: 'x' }));
    expect(config).toMatchObject({ protocol: 'greedy', baselineRunId: 'x' });
    expect(config).not.toHaveProperty('epochs');
    expect(upgradeRunConfig('not a config'), 'anything else is left for the schema to refuse').toBe('not a config');
  });
});
