/**
 * Issue #6, "Nothing lost, nothing let in": every bad input, wherever it enters, is refused with a
 * message naming the problem and the fix, and nothing already saved is touched.
 *
 * One table of bad inputs goes through the host's contract (dispatch, as every transport calls
 * it: an ApiError { code: 'bad-input', field, message }) and through the CLI (one line
 * `dwswap: error: ...`, a non-zero exit, no stack trace). Each case runs on its own copy of a data
 * folder seeded with runs and model files, fingerprinted before and after (runs and records,
 * files and their bytes). Then: a run whose dataset breaks after it was queued fails with a
 * one-line reason, and a disk that fills up while saving keeps the previous checkpoint and
 * archive whole. Loader-level messages are tested in data.test.ts, loadNetFromDir's basic
 * refusals in train.test.ts, archive entry checks in store.test.ts; security refusals in
 * security.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunConfigSchema, type HostEvent, type HostMethod } from '../src-main/contract';
import { checkModelDir, loadNetFromDir, ModelFileError } from '../src-main/engine/modelio';
import { createHost, type Host } from '../src-main/host/host';
import { checkDepthMultiplier, checkMemory } from '../src-main/host/limits';
import { openStore } from '../src-main/store';
import { dispatch } from '../src-main/transports/dispatch';
import {
  buildSeed,
  copySeed,
  fileFingerprint,
  folderState,
  limiter,
  modelFiles,
  okConfig,
  runCli,
  runState,
  TINY_DATA,
  type Seed,
} from './helpers/guarded-store';
import { encodeJpeg, makeTinyCifarBinary, makeTinyCifarFolder, makeTinyCifarZip } from './helpers/tiny-cifar';

const GIB = 1024 ** 3;
const isRoot = process.getuid?.() === 0;

let tmp: string;
let seed: Seed;
/** Bad datasets and archives, by name. */
const bad: Record<string, string> = {};

const jpeg = (w: number, h: number) => encodeJpeg(new Uint8Array(w * h * 3).fill(128), w, h);

function zipOf(name: string, entries: Record<string, Uint8Array>, base = true): string {
  const files: Record<string, Uint8Array> = base
    ? {
        'train/a/0.jpg': jpeg(32, 32),
        'train/b/0.jpg': jpeg(32, 32),
        'test/a/0.jpg': jpeg(32, 32),
        'test/b/0.jpg': jpeg(32, 32),
      }
    : {};
  const file = path.join(tmp, 'bad', name);
  fs.writeFileSync(file, zipSync({ ...files, ...entries }, { level: 0 }));
  return file;
}

async function makeBadInputs(): Promise<void> {
  const dir = path.join(tmp, 'bad');
  fs.mkdirSync(dir, { recursive: true });
  bad.absent = path.join(dir, 'absent.zip');
  if (spawnSync('mkfifo', [path.join(dir, 'pipe.zip')]).status === 0) bad.fifo = path.join(dir, 'pipe.zip');
  bad.brokenLink = makeTinyCifarFolder(dir, { ...TINY_DATA, name: 'broken-link' });
  fs.symlinkSync(path.join(dir, 'gone.jpg'), path.join(bad.brokenLink, 'train', 'a', '0009.jpg'));
  bad.wrongLayout = zipOf('wrong-layout.zip', { 'a/0.jpg': jpeg(32, 32), 'b/0.jpg': jpeg(32, 32) }, false);
  bad.emptyClass = zipOf('empty-class.zip', { 'train/c/0.jpg': jpeg(32, 32), 'test/c/': new Uint8Array(0) });
  bad.badJpeg = zipOf('bad-jpeg.zip', { 'train/a/0.jpg': new Uint8Array([0xff, 0xd8, 1, 2, 3]) });
  bad.wrongSize = zipOf('wrong-size.zip', { 'test/b/0.jpg': jpeg(16, 8) });
  bad.notZip = path.join(dir, 'text.zip');
  fs.writeFileSync(bad.notZip, 'these are not the images you are looking for');
  const whole = fs.readFileSync(makeTinyCifarZip(dir, { ...TINY_DATA, name: 'whole.zip' }));
  bad.truncatedZip = path.join(dir, 'truncated.zip');
  fs.writeFileSync(bad.truncatedZip, whole.subarray(0, Math.floor(whole.length / 2)));
  const bin = makeTinyCifarBinary(path.join(dir, 'bin'), TINY_DATA);
  fs.writeFileSync(path.join(bin, 'test_batch.bin'), new Uint8Array(3073 + 100));
  bad.truncatedBinary = bin;
  bad.unreadable = path.join(dir, 'unreadable.zip');
  fs.copyFileSync(seed.dataset, bad.unreadable);
  fs.chmodSync(bad.unreadable, 0o000);
  await makeBadArchives(dir);
  bad.threeClasses = makeTinyCifarZip(dir, { ...TINY_DATA, classes: ['a', 'b', 'c'], name: 'three-classes.zip' });
  bad.storeIsFile = path.join(dir, 'not-a-folder');
  fs.writeFileSync(bad.storeIsFile, 'a file where the data folder should be');
}

/** .dwrun files: one exported for real, then damaged in the ways a copy or a download damages one. */
async function makeBadArchives(dir: string): Promise<void> {
  const source = copySeed(seed, path.join(dir, 'export-source'));
  const store = openStore(source);
  const good = path.join(dir, 'good.dwrun');
  try {
    await store.exportRun(seed.runs.baseline, good);
  } finally {
    store.close();
  }
  const bytes = fs.readFileSync(good);
  bad.archiveNotZip = path.join(dir, 'notes.dwrun');
  fs.writeFileSync(bad.archiveNotZip, 'run notes, not an archive');
  bad.archiveTruncated = path.join(dir, 'truncated.dwrun');
  fs.writeFileSync(bad.archiveTruncated, bytes.subarray(0, bytes.length - 200));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-bad-'));
  seed = await buildSeed(tmp);
  await makeBadInputs();
});

afterAll(() => {
  if (bad.unreadable) fs.chmodSync(bad.unreadable, 0o644);
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

interface Row {
  what: string;
  /** The request through the host's contract; absent where the contract has no such entry. */
  request?: () => { method: HostMethod; args: unknown[] };
  field?: string;
  /** The ApiError code when not `bad-input`. */
  code?: string;
  message: RegExp;
  /** CLI arguments after `--store DIR`; absent where the CLI cannot express the input. */
  cli?: () => string[];
  /** When the CLI names it differently (its flags rather than the config's fields). */
  cliMessage?: RegExp;
  cliCode?: number;
  /** The --store the CLI gets, when not the case's copy of the seeded folder. */
  store?: () => string;
  skip?: () => boolean;
}

const start =
  (extra: Parameters<typeof okConfig>[1] = {}) =>
  () => ({ method: 'startRun' as const, args: [okConfig(seed.dataset, extra)] });
const startOn = (key: string) => () => ({ method: 'startRun' as const, args: [okConfig(bad[key])] });
const train = (...args: string[]) => [
  'train',
  '--epochs',
  '1',
  '--batch',
  '4',
  '--width',
  '64',
  '--backend',
  'cpu',
  ...args,
];
const trainOn = (key: string) => () => train('--data', bad[key]);
const trainOk =
  (...args: string[]) =>
  () =>
    train('--data', seed.dataset, ...args);
const fromBaseline = (run: keyof Seed['runs']) => () => start({ protocol: 'ours', baselineRunId: seed.runs[run] })();
const trainFrom = (run: keyof Seed['runs']) => () =>
  train('--data', seed.dataset, '--protocol', 'ours', '--baseline', seed.runs[run]);
const damagedModel =
  /^the model of baseline run '.*' is unusable \(.*\); train the baseline again or import an intact copy$/;

const ROWS: Row[] = [
  // Datasets: missing, unreadable, wrong layout, empty class, bad images.
  {
    what: 'dataset path missing',
    request: startOn('absent'),
    field: 'data.path',
    message:
      /^dataset not found: .*absent\.zip — give the path of a CIFAR-10 zip, image folder or cifar-10-batches-bin directory$/,
    cli: trainOn('absent'),
  },
  {
    what: 'dataset path empty',
    request: start({ data: { path: '' } }),
    field: 'data.path',
    message: /dataset path is empty; give a CIFAR-10 zip, folder or cifar-10-batches-bin$/,
    cliMessage: /^--data is empty; give the path of a CIFAR-10 zip/,
  },
  {
    what: 'dataset is a named pipe (reading it would hang)',
    skip: () => !bad.fifo,
    request: startOn('fifo'),
    field: 'data.path',
    message: /pipe\.zip is not a regular file or folder \(a pipe, socket or device\) — give the path/,
  },
  {
    what: 'dataset file unreadable (no permission)',
    skip: () => isRoot,
    request: startOn('unreadable'),
    field: 'data.path',
    message: /^cannot read dataset .*unreadable\.zip \(EACCES\) — check its permissions/,
    cli: trainOn('unreadable'),
  },
  {
    what: 'dataset image unreadable (a broken link)',
    request: startOn('brokenLink'),
    field: 'data.path',
    message: /^cannot read image .*0009\.jpg \(ENOENT\) — remove or replace that file/,
    cli: trainOn('brokenLink'),
  },
  {
    what: 'zip with the wrong layout',
    request: startOn('wrongLayout'),
    field: 'data.path',
    message:
      /^not a CIFAR-10 image tree: .*wrong-layout\.zip holds a, b — expected train\/<class>\/\*\.jpg and test\/<class>\/\*\.jpg/,
    cli: trainOn('wrongLayout'),
  },
  {
    what: 'zip with an empty class',
    request: startOn('emptyClass'),
    field: 'data.path',
    message: /^class folder test\/c\/ in .*empty-class\.zip is empty — every class needs at least one \.jpg image$/,
    cli: trainOn('emptyClass'),
  },
  {
    what: 'zip with an image that does not decode',
    request: startOn('badJpeg'),
    field: 'data.path',
    message: /^cannot decode image train\/a\/0\.jpg in .*bad-jpeg\.zip: .* — replace or remove that file$/,
    cli: trainOn('badJpeg'),
  },
  {
    what: 'zip with a wrong-sized image',
    request: startOn('wrongSize'),
    field: 'data.path',
    message:
      /^image test\/b\/0\.jpg in .*wrong-size\.zip is 16x8x3, expected 32x32x3 — resize the images to 32x32 RGB$/,
    cli: trainOn('wrongSize'),
  },
  {
    what: 'a .zip that is not a zip',
    request: startOn('notZip'),
    field: 'data.path',
    message: /text\.zip is not a valid zip file \(wrong signature\) — re-download or re-create it$/,
  },
  {
    what: 'a truncated zip',
    request: startOn('truncatedZip'),
    field: 'data.path',
    message: /^cannot read zip .*truncated\.zip: .* — the archive is damaged; re-download or re-create it$/,
    cli: trainOn('truncatedZip'),
  },
  {
    what: 'a truncated binary batch',
    request: startOn('truncatedBinary'),
    field: 'data.path',
    message: /test_batch\.bin is 3173 bytes, not a whole number of 3073-byte records — re-extract it$/,
  },

  // Impossible settings.
  {
    what: 'zero epochs',
    request: start({ epochs: 0 }),
    field: 'epochs',
    message: /^epochs: epochs must be at least 1$/,
    cli: trainOk('--epochs', '0'),
    cliMessage: /^--epochs must be an integer >= 1, got '0'$/,
  },
  {
    what: 'negative epochs',
    request: start({ epochs: -3 }),
    field: 'epochs',
    message: /^epochs: epochs must be at least 1$/,
    cliMessage: /^--epochs must be an integer >= 1, got '-3'$/,
  },
  {
    what: 'zero batch size',
    request: start({ batchSize: 0 }),
    field: 'batchSize',
    message: /^batchSize: batch size must be at least 1$/,
    cliMessage: /^--batch must be an integer >= 1, got '0'$/,
  },
  {
    what: 'negative batch size',
    request: start({ batchSize: -8 }),
    field: 'batchSize',
    message: /^batchSize: batch size must be at least 1$/,
    cli: trainOk('--batch', '-8'),
    cliMessage: /^--batch must be an integer >= 1, got '-8'$/,
  },
  {
    what: 'learning rate 0',
    request: start({ optimiser: { preset: 'custom', learningRate: 0 } }),
    field: 'optimiser.learningRate',
    message: /^optimiser\.learningRate: learning rate must be greater than 0, e\.g\. 0\.001$/,
    cli: trainOk('--lr', '0'),
    cliMessage: /^--lr must be greater than 0 \(e\.g\. 0\.001\), got '0'$/,
  },
  {
    what: 'negative learning rate',
    request: start({ optimiser: { preset: 'custom', learningRate: -0.01 } }),
    field: 'optimiser.learningRate',
    message: /learning rate must be greater than 0/,
    cliMessage: /^--lr must be greater than 0 \(e\.g\. 0\.001\), got '-0\.01'$/,
  },
  {
    what: 'unknown backend',
    request: start({ backend: 'tpu' as 'cpu' }),
    field: 'backend',
    message: /^backend: .*expected one of "auto"\|"tensorflow-gpu"\|"tensorflow"\|"webgpu"\|"wasm"\|"cpu"$/,
    cli: trainOk('--backend', 'tpu'),
    cliMessage: /^--backend must be one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, got 'tpu'$/,
  },
  {
    what: 'unknown protocol',
    request: start({ protocol: 'fancy' as 'baseline' }),
    field: 'protocol',
    message: /^protocol: .*expected one of "baseline"\|"greedy"\|"ours"\|"manual"\|"control"\|"sensitivity"$/,
    cliMessage: /^--protocol must be one of baseline, greedy, ours, manual, control, got 'fancy'$/,
  },
  {
    what: 'unknown block name',
    request: start({ protocol: 'manual', model: { widthDivisor: 64, swapped: ['conv6_1'] } }),
    field: 'model.swapped.0',
    message: /^model\.swapped\.0: unknown block name; use one of conv2_1 \.\.\. conv5_3/,
    cli: trainOk('--protocol', 'manual', '--swap', 'conv2_1,conv6_1'),
    cliMessage: /^unknown block 'conv6_1' in --swap; use all, none, or names conv2_1 \.\.\. conv5_3 \(optionally with :r, e\.g\. conv2_1:2\)$/,
  },
  {
    what: 'depth multiplier 0',
    request: start({
      protocol: 'manual',
      model: { widthDivisor: 64, swapped: ['conv2_1'], swap: { depthMultiplier: 0 } },
    }),
    field: 'model.swap.depthMultiplier',
    message: /^model\.swap\.depthMultiplier: depth multiplier must be at least 1$/,
    cliMessage: /^--depth-multiplier must be an integer >= 1, got '0'$/,
  },
  {
    what: 'depth multiplier beyond the rank of the swapped kernels',
    request: start({
      protocol: 'manual',
      model: { widthDivisor: 16, swapped: ['conv2_1', 'conv3_2'], swap: { depthMultiplier: 9 } },
    }),
    field: 'model.swap.depthMultiplier',
    message:
      /^depth multiplier 9 does not fit: a 3x3 kernel has at most min\(9, N\) = 8 independent parts per input channel \(N = 8 filters in conv3_2 at width 1\/16\), so r = 8 already reproduces the dense conv; use 1 to 8$/,
    cli: () =>
      train(
        '--data',
        seed.dataset,
        '--protocol',
        'manual',
        '--width',
        '16',
        '--swap',
        'conv2_1,conv3_2',
        '--depth-multiplier',
        '9',
      ),
  },
  {
    what: 'depth multiplier beyond the rank of every block (ours, from a 1/64 baseline)',
    request: () => ({
      method: 'startRun',
      args: [
        {
          ...okConfig(seed.dataset),
          protocol: 'ours',
          baselineRunId: seed.runs.baseline,
          model: { swap: { depthMultiplier: 12 } },
        },
      ],
    }),
    field: 'model.swap.depthMultiplier',
    message:
      /^depth multiplier 12 does not fit: .*min\(9, N\) = 8 .*\(N = 8 filters in conv5_1 at width 1\/64\).*; use 1 to 8$/,
  },
  {
    what: 'a model that does not fit in memory',
    request: start({ model: { widthDivisor: 1 }, batchSize: 4096 }),
    field: 'batchSize',
    message:
      /^training at width 1\/1 with batch 4096 on 10 images needs at least [\d.]+ GiB but 1\.0 GiB of memory is available; lower the batch size to \d+ or less, or raise the width divisor$/,
    cli: () => train('--data', seed.dataset, '--width', '1', '--batch', '4096'),
  },
  {
    what: 'more model outputs than dataset classes',
    request: start({ model: { widthDivisor: 64, classes: 10 } }),
    field: 'model.classes',
    message:
      /^the dataset has 2 classes \(a, b\) but the model has 10 outputs; set model\.classes to 2 or leave it out$/,
  },
  {
    what: 'a dataset with other classes than the baseline',
    request: () => ({
      method: 'startRun',
      args: [okConfig(bad.threeClasses, { protocol: 'ours', baselineRunId: seed.runs.baseline })],
    }),
    field: 'data.path',
    message:
      /^the dataset has 3 classes \(a, b, c\) but baseline run 'good baseline' was trained on 2; use a dataset with the baseline's classes$/,
  },
  {
    what: 'a baseline run that does not exist',
    request: start({ protocol: 'ours', baselineRunId: 'no-such-run' }),
    field: 'baselineRunId',
    message: /^baseline run no-such-run does not exist; pick one from History$/,
  },

  // Model files of the baseline a run starts from.
  {
    what: 'baseline weight shard truncated',
    request: fromBaseline('truncatedShard'),
    field: 'baselineRunId',
    message: damagedModel,
    cli: trainFrom('truncatedShard'),
  },
  {
    what: 'baseline weight shard missing',
    request: fromBaseline('missingShard'),
    field: 'baselineRunId',
    message: /weight shard weights-2\.bin named in model\.json is missing/,
  },
  {
    what: 'baseline model.json corrupt',
    request: fromBaseline('corruptJson'),
    field: 'baselineRunId',
    message: /model\.json is not valid JSON/,
    cli: trainFrom('corruptJson'),
  },
  {
    what: 'baseline model is not a ResNet-50',
    request: fromBaseline('notResNet'),
    field: 'baselineRunId',
    message: /not a ResNet-50 of the study's shape: block conv2_1 has neither/,
    cli: trainFrom('notResNet'),
  },

  // Resuming a run whose dataset has gone.
  {
    what: 'resume with the dataset gone',
    request: () => ({ method: 'resumeRun', args: [seed.runs.failedNoData] }),
    field: 'data.path',
    message: /^dataset not found: .*moved-away\.zip — .*; the run needs its dataset back at that path to resume$/,
    cli: () => ['resume', seed.runs.failedNoData],
  },

  // Run archives through the CLI's import (the contract's importRun and exportRun: host-archive.test.ts). Entry-level checks: store.test.ts.
  {
    what: 'import: not an archive',
    message: /notes\.dwrun is not a \.dwrun archive \(not a readable zip\); export the run again from the workbench$/,
    cli: () => ['import', bad.archiveNotZip],
  },
  {
    what: 'import: a truncated archive',
    message: /truncated\.dwrun is not a \.dwrun archive/,
    cli: () => ['import', bad.archiveTruncated],
  },

  // The data folder itself.
  {
    what: 'data folder is a file',
    message: /^cannot create the data folder .*not-a-folder \(EEXIST\); choose a writable folder$/,
    cli: () => ['runs'],
    store: () => bad.storeIsFile,
  },

  // Other requests through the contract.
  {
    what: 'getRun without an id',
    request: () => ({ method: 'getRun', args: [''] }),
    field: 'id',
    message: /^id must be a non-empty string$/,
  },
  {
    what: 'getRun with a path for an id',
    request: () => ({ method: 'getRun', args: ['../../etc'] }),
    code: 'not-found',
    message: /^no run with id \.\.\/\.\.\/etc; it may have been deleted, refresh the run list$/,
  },
  {
    what: 'renameRun to an empty name',
    request: () => ({ method: 'renameRun', args: [seed.runs.baseline, '   '] }),
    message: /^a run name must be 1 to 200 characters/,
  },
  {
    what: 'tagRun with tags that are not strings',
    request: () => ({ method: 'tagRun', args: [seed.runs.baseline, [1, 2]] }),
    field: 'tags',
    message: /^tags must be a list of strings$/,
  },
  {
    what: 'compare nothing',
    request: () => ({ method: 'compare', args: [[]] }),
    field: 'ids',
    message: /^pick at least one run to compare$/,
  },
  {
    what: 'checkDataset with a number',
    request: () => ({ method: 'checkDataset', args: [42] }),
    field: 'path',
    message: /^path must be a non-empty string$/,
  },
  {
    what: 'inspect with a depth multiplier of 65',
    request: () => ({ method: 'inspect', args: [{ swap: { depthMultiplier: 65 } }] }),
    field: 'swap.depthMultiplier',
    message: /depth multiplier must be at most 64/,
  },
];

const contractRows = ROWS.filter((r) => r.request);
const cliRows = ROWS.filter((r) => r.cli);

/** The case's own copy of the seeded folder. */
let copies = 0;
const freshCopy = () => copySeed(seed, path.join(tmp, `case-${++copies}`));

describe('bad input through the host contract (dispatch)', () => {
  it.each(contractRows.map((r) => [r.what, r] as const))(
    '%s: bad-input, field and message; nothing changed',
    async (_what, row) => {
      if (row.skip?.()) return;
      const dataDir = freshCopy();
      const host = await createHost({ dataDir, memoryBytes: GIB });
      try {
        const before = { runs: await runState(host), files: fileFingerprint(dataDir) };
        const { method, args } = row.request!();
        const answer = await dispatch(host, { id: 1, method, args });
        expect(answer.ok, 'refused').toBe(false);
        if (answer.ok) return;
        expect(answer.error.code).toBe(row.code ?? 'bad-input');
        if (row.field) expect(answer.error.field, 'names the field').toBe(row.field);
        expect(answer.error.message).toMatch(row.message);
        expect(answer.error.message, 'one line, no stack').not.toMatch(/\n|\s+at \S+ \(/);
        expect({ runs: await runState(host), files: fileFingerprint(dataDir) }, 'nothing saved was touched').toEqual(
          before,
        );
      } finally {
        await host.close();
      }
    },
  );
});

describe('bad input through the CLI', () => {
  const slot = limiter(2);
  it.concurrent.for(cliRows.map((r) => [r.what, r] as const))(
    '%s: one line, non-zero exit; nothing changed',
    async ([, row], { expect }) => {
      if (row.skip?.()) return;
      const store = row.store?.() ?? freshCopy();
      const before = await folderState(store);
      const r = await slot(() => runCli(['--store', store, ...row.cli!()], { env: { DWSWAP_MEMORY_MB: '1024' } }));
      expect(r.code, r.stderr).toBe(row.cliCode ?? 2);
      expect(r.stderr, 'exactly one line').toMatch(/^dwswap: error: [^\n]+\n$/);
      expect(r.stderr.slice('dwswap: error: '.length, -1)).toMatch(row.cliMessage ?? row.message);
      expect(r.stderr, 'no stack trace').not.toMatch(/\s+at \S+ \(/);
      expect(r.stdout).toBe('');
      expect(await folderState(store), 'nothing saved was touched').toEqual(before);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// The rules behind two refusals, checked directly.
// ---------------------------------------------------------------------------------------------

describe('what fits', () => {
  const config = (model: object, protocol = 'manual') => {
    const { epochs, ...rest } = okConfig('x') as { epochs: number };
    const own = protocol === 'greedy' ? { baselineRunId: 'b' } : { epochs };
    return RunConfigSchema.parse({ ...rest, ...own, protocol, model });
  };

  it('a depth multiplier fits up to min(9, N) of the widest block the run may swap', () => {
    expect(() =>
      checkDepthMultiplier(config({ widthDivisor: 1, swapped: ['conv2_1'], swap: { depthMultiplier: 9 } })),
    ).not.toThrow();
    expect(() =>
      checkDepthMultiplier(config({ widthDivisor: 1, swapped: ['conv2_1'], swap: { depthMultiplier: 10 } })),
    ).toThrow(/use 1 to 9$/);
    expect(
      () => checkDepthMultiplier(config({ widthDivisor: 64, swapped: ['conv5_1'], swap: { depthMultiplier: 8 } })),
      'N = 8 at 1/64',
    ).not.toThrow();
    expect(
      () => checkDepthMultiplier(config({ widthDivisor: 64, swapped: ['conv4_1'], swap: { depthMultiplier: 5 } })),
      'N = 4 at 1/64',
    ).toThrow(/use 1 to 4$/);
    expect(
      () => config({ widthDivisor: 64, swap: { depthMultiplier: 20 } }, 'baseline'),
      'a baseline swaps nothing, so has no swap spec',
    ).toThrow(/model\.swap does not apply to the baseline protocol/);
    expect(() => checkDepthMultiplier(config({ widthDivisor: 64 }, 'baseline'))).not.toThrow();
    expect(
      () => checkDepthMultiplier(config({ widthDivisor: 64, swap: { depthMultiplier: 9 } }, 'greedy')),
      'greedy may swap conv5 (N = 8)',
    ).toThrow(/use 1 to 8$/);
  });

  it('a run that does not fit even at batch 1 asks for a larger width divisor', () => {
    const check = {
      ok: true,
      path: 'x',
      layout: 'zip',
      train: 50_000,
      test: 10_000,
      classes: TINY_DATA.classes,
      message: '',
    };
    const cfg = RunConfigSchema.parse({ ...okConfig('x'), model: { widthDivisor: 1 }, batchSize: 64 });
    expect(() => checkMemory(cfg, check, 64 * 1024 ** 2)).toThrow(
      expect.objectContaining({
        field: 'model.widthDivisor',
        message: expect.stringMatching(/raise the width divisor or use fewer images per class$/),
      }),
    );
    expect(() => checkMemory(cfg, check, 16 * GIB), 'the full model at batch 64 fits in 16 GiB').not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Model files: the checks the host runs before a run starts, next to the loader's own.
// ---------------------------------------------------------------------------------------------

describe('model folders', () => {
  it('checkModelDir and loadNetFromDir refuse each damaged folder with a ModelFileError, and pass a good one', async () => {
    const { resnet } = await modelFiles();
    const json = JSON.parse(Buffer.from(resnet['model.json']).toString()) as Record<string, unknown> & {
      weightsManifest: { paths: string[]; weights: unknown[] }[];
    };
    const cases: [string, Record<string, Uint8Array | string>, RegExp][] = [
      [
        'extra bytes in the shard',
        { 'weights.bin': Buffer.concat([resnet['weights.bin'], Buffer.alloc(8)]) },
        /shards hold \d+ bytes but model\.json describes \d+/,
      ],
      ['an empty model.json', { 'model.json': '' }, /is not valid JSON/],
      [
        'model.json without a manifest',
        { 'model.json': JSON.stringify({ modelTopology: json.modelTopology }) },
        /no modelTopology\/weightsManifest/,
      ],
      [
        'a manifest group without paths',
        { 'model.json': JSON.stringify({ ...json, weightsManifest: [{ weights: json.weightsManifest[0].weights }] }) },
        /malformed weightsManifest/,
      ],
      [
        'a weight with a negative shape',
        {
          'model.json': JSON.stringify({
            ...json,
            weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }],
          }),
        },
        /malformed weightsManifest/,
      ],
      ['model.json is a folder', { 'model.json': '' }, /no model\.json at/],
      ['the shard is a folder', { 'weights.bin': '' }, /weight shard weights\.bin in .* is not a file/],
    ];
    const asFolder: Record<string, string> = {
      'model.json is a folder': 'model.json',
      'the shard is a folder': 'weights.bin',
    };
    for (const [what, change, message] of cases) {
      const dir = path.join(tmp, 'models', what.replace(/\W+/g, '-'));
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries({ ...resnet, ...change }))
        fs.writeFileSync(path.join(dir, name), bytes);
      if (asFolder[what]) {
        fs.rmSync(path.join(dir, asFolder[what]));
        fs.mkdirSync(path.join(dir, asFolder[what]));
      }
      expect(() => checkModelDir(dir), what).toThrow(message);
      expect(() => checkModelDir(dir), what).toThrow(ModelFileError);
      await expect(loadNetFromDir(dir), what).rejects.toThrow(ModelFileError);
    }
    const good = path.join(tmp, 'models', 'good');
    fs.mkdirSync(good, { recursive: true });
    for (const [name, bytes] of Object.entries(resnet)) fs.writeFileSync(path.join(good, name), bytes);
    expect(() => checkModelDir(good)).not.toThrow();
    expect((await loadNetFromDir(good)).config.widthDivisor).toBe(64);
  });
});

// ---------------------------------------------------------------------------------------------
// Inputs that go bad after the host accepted them: the run fails, with one line saying why.
// ---------------------------------------------------------------------------------------------

describe('a queued run whose dataset breaks', () => {
  it('fails with status failed and a one-line reason; the runs before it are untouched', async () => {
    const dataDir = freshCopy();
    const vanishing = makeTinyCifarZip(path.join(tmp, 'vanishing'), { ...TINY_DATA, name: 'soon-gone.zip' });
    // The first image of each class is what the host checks; the worker meets the second one.
    const deep = zipOf('deep-wrong-size.zip', { 'train/a/1.jpg': jpeg(16, 8) });
    const host = await createHost({ dataDir });
    try {
      const before = await runState(host);
      const gone = await host.startRun(okConfig(vanishing));
      fs.rmSync(vanishing); // before the worker (still starting) gets to read it
      const damaged = await host.startRun(okConfig(deep));
      await host.idle();
      const [a, b] = [await host.getRun(gone.id), await host.getRun(damaged.id)];
      expect(a.status).toBe('failed');
      expect(a.statusReason).toMatch(/^dataset not found: .*soon-gone\.zip — give the path of a CIFAR-10 zip/);
      expect(b.status).toBe('failed');
      expect(b.statusReason).toMatch(
        /^image train\/a\/1\.jpg in .*deep-wrong-size\.zip is 16x8x3, expected 32x32x3 — resize the images to 32x32 RGB$/,
      );
      for (const r of [a, b]) expect(r.statusReason, 'one line').not.toContain('\n');
      const after = (await runState(host)) as { records: { id: string }[] };
      const earlier = after.records.filter((r) => r.id !== gone.id && r.id !== damaged.id);
      expect(earlier, 'the runs already saved are unchanged').toEqual((before as { records: unknown[] }).records);
    } finally {
      await host.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A full disk while saving: bash's `ulimit -f` makes every write past a size fail (EFBIG), as a
// disk that fills up would (ENOSPC takes the same path).
// ---------------------------------------------------------------------------------------------

describe.skipIf(process.platform === 'win32')('a disk that fills up while saving', () => {
  it('export: one line naming the fix, exit 1, the previous archive intact, nothing left behind', async () => {
    const dataDir = freshCopy();
    const store = openStore(dataDir);
    const { id } = store.createRun(RunConfigSchema.parse(okConfig(seed.dataset, { name: 'big' })), {
      appVersion: 'test',
    });
    fs.writeFileSync(path.join(store.runDir(id), 'weights.bin'), randomBytes(2 * 1024 * 1024)); // incompressible
    store.setStatus(id, 'done');
    store.close();
    const outDir = path.join(tmp, 'exports');
    fs.mkdirSync(outDir, { recursive: true });
    const archive = path.join(outDir, 'big.dwrun');
    fs.writeFileSync(archive, 'the previous export');
    const before = await folderState(dataDir);
    const r = await runCli(['export', id, archive, '--force', '--store', dataDir], { fileSizeLimitKiB: 512 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^dwswap: error: cannot write .*big\.dwrun \(EFBIG\); check that the folder is writable and the disk has space\n$/,
    );
    expect(fs.readFileSync(archive, 'utf8'), 'previous archive intact').toBe('the previous export');
    expect(fs.readdirSync(outDir), 'no half-written file left').toEqual(['big.dwrun']);
    expect(await folderState(dataDir)).toEqual(before);
  });

  it('checkpoint: the run fails with one line naming the fix, the previous checkpoint stays whole and resumes', async () => {
    const dataDir = path.join(tmp, 'disk-full-run');
    const dataset = makeTinyCifarZip(path.join(tmp, 'disk-full-data'), { ...TINY_DATA, name: 'tiny.zip' });
    // Width 1/16: weights.bin ~440 KiB, over the 300 KiB limit below; the store's files stay under it.
    const config = okConfig(dataset, {
      model: { widthDivisor: 16 },
      epochs: 4,
      batchSize: 4,
      data: { path: dataset, augment: false },
    });
    let host: Host = await createHost({ dataDir });
    const { id } = await host.startRun(config);
    const off = host.onEvent((e: HostEvent) => {
      if (e.type === 'epoch' && e.runId === id) void host.cancelRun(id).catch(() => undefined);
    });
    await host.idle();
    off();
    const cancelled = await host.getRun(id);
    expect(cancelled.status, 'cancelled after its first epoch').toBe('cancelled');
    const checkpoint = path.join(host.store.runDir(id), 'checkpoint');
    const saved = fileFingerprint(checkpoint);
    expect(Object.keys(saved)).toContain('weights.bin');
    await host.close();

    const r = await runCli(['resume', id, '--store', dataDir], { fileSizeLimitKiB: 300 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /run \S+ ended failed: cannot write .*checkpoint \(EFBIG\); check that the folder is writable and the disk has space\n$/,
    );

    host = await createHost({ dataDir });
    try {
      const failed = await host.getRun(id);
      expect(failed.status).toBe('failed');
      expect(failed.statusReason).toMatch(
        /^cannot write .*checkpoint \(EFBIG\); check that the folder is writable and the disk has space$/,
      );
      expect(fileFingerprint(checkpoint), 'the previous checkpoint is byte for byte what it was').toEqual(saved);
      expect(
        fs.readdirSync(host.store.runDir(id)).filter((n) => n.startsWith('.')),
        'no half-written folder left',
      ).toEqual([]);
      await host.resumeRun(id);
      await host.idle();
      const done = await host.getRun(id);
      expect(done.status, `resumed from the kept checkpoint: ${done.statusReason}`).toBe('done');
      expect(done.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    } finally {
      await host.close();
    }
  });
});
