/**
 * The store against a real SQLite file in a temporary folder: schema and migrations, the
 * single-instance lock, the repository, atomic writes, .dwrun export/import, and a process killed
 * with SIGKILL in the middle of a transaction.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { strToU8, zipSync, type Zippable } from 'fflate';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunConfigSchema, type EpochMetrics, type FinalMetrics, type RunConfig } from '../src-main/contract';
import { migrate, migrations, openDatabase, schemaVersion } from '../src-main/store/db';
import { recoverDir } from '../src-main/store/files';
import {
  INTERRUPTED_REASON,
  openStore,
  StoreError,
  writeDirAtomic,
  writeFileAtomic,
  type Store,
} from '../src-main/store/index';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let tmp: string;
let open: Store[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-store-'));
  open = [];
});
afterEach(() => {
  for (const s of open) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function storeAt(dir = path.join(tmp, 'data')): Store {
  const s = openStore(dir);
  open.push(s);
  return s;
}

/** A parsed configuration: a baseline unless `extra.protocol` says otherwise (greedy from run 'base'). */
function config(extra: Record<string, unknown> = {}): RunConfig {
  const own = extra.protocol === 'greedy' ? { baselineRunId: 'base' } : { epochs: 3 };
  return RunConfigSchema.parse({
    protocol: 'baseline',
    data: { path: '/data/cifar10.zip' },
    batchSize: 32,
    ...own,
    ...extra,
  });
}

function epoch(phase: string, n: number, extra: Partial<EpochMetrics> = {}): EpochMetrics {
  return {
    phase,
    epoch: n,
    loss: 2 - n / 10,
    trainAcc: 0.1 * n,
    testAcc: 0.09 * n,
    testLoss: 2.1,
    seconds: 12.5,
    samplesPerSec: 4000,
    ...extra,
  };
}

const FINAL: FinalMetrics = {
  trainAcc: 0.86,
  testAcc: 0.81,
  params: 26_220_000,
  weightsMiB: 100.36,
  blocksSwapped: 1,
  inferenceSeconds: 19.9,
  inferenceBatch: 256,
  inferenceImages: 10000,
  backend: 'tensorflow',
  trainSeconds: 3600,
  epochsTrained: 3,
};

/** Calls `fn` and returns the StoreError it throws (failing the test if it throws none). */
function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return e as StoreError;
  }
  throw new Error('expected a StoreError');
}

async function storeErrorAsync(p: Promise<unknown>): Promise<StoreError> {
  const e: unknown = await p.then(
    () => new Error('expected a StoreError'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreError);
  return e as StoreError;
}

// ---------------------------------------------------------------------------------------------

describe('opening the store', () => {
  it('creates one SQLite file in WAL mode with foreign keys, a busy timeout and synchronous=NORMAL', () => {
    const s = storeAt();
    expect(s.info()).toMatchObject({
      journalMode: 'wal',
      synchronous: 'normal',
      foreignKeys: true,
      busyTimeoutMs: 5000,
      schemaVersion: migrations.length,
    });
    expect(fs.existsSync(path.join(tmp, 'data', 'runs.db'))).toBe(true);
    expect(s.check()).toEqual(['ok']);
  });

  it('migrates from an empty file to the latest version', () => {
    const db = new Database(path.join(tmp, 'empty.db'));
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db)).toBe(migrations.length);
    expect(schemaVersion(db)).toBe(migrations.length);
    const cols = (db.pragma('table_info(runs)') as { name: string }[]).map((c) => c.name);
    expect(cols).toContain('tags');
    db.close();
  });

  it('upgrades a version-1 store to the current version and keeps its runs', () => {
    const dir = path.join(tmp, 'data');
    fs.mkdirSync(dir);
    const v1 = openDatabase(path.join(dir, 'runs.db'), migrations.slice(0, 1));
    expect(schemaVersion(v1)).toBe(1);
    v1.prepare(
      `INSERT INTO runs (id, name, protocol, status, config, created_at, updated_at, app_version, swapped)
       VALUES ('old-run', 'from v1', 'baseline', 'done', ?, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '0.0.1', '[]')`,
    ).run(JSON.stringify(config()));
    v1.prepare(`INSERT INTO epochs (run_id, seq, phase, epoch, metrics) VALUES ('old-run', 1, 'train', 1, ?)`).run(
      JSON.stringify({ loss: 1.5, trainAcc: 0.4, testAcc: 0.35, testLoss: 1.6, seconds: 10, samplesPerSec: 5000 }),
    );
    v1.close();

    const s = storeAt(dir);
    expect(s.info().schemaVersion).toBe(migrations.length);
    const run = s.getRun('old-run');
    expect(run).toMatchObject({ name: 'from v1', tags: [], status: 'done' });
    expect(run.epochs).toEqual([
      {
        phase: 'train',
        epoch: 1,
        loss: 1.5,
        trainAcc: 0.4,
        testAcc: 0.35,
        testLoss: 1.6,
        seconds: 10,
        samplesPerSec: 5000,
      },
    ]);
    s.tagRun('old-run', ['study']);
    expect(s.listRuns({ tag: 'study' }).map((r) => r.id)).toEqual(['old-run']);
  });

  it('rolls a failing migration back whole and says which version it stopped at', () => {
    const db = new Database(path.join(tmp, 'x.db'));
    migrate(db);
    const broken = [
      ...migrations,
      (d: Database.Database) => {
        d.exec('CREATE TABLE half_done (a)');
        throw new Error('boom');
      },
    ];
    const e = storeError(() => migrate(db, broken));
    const n = migrations.length;
    expect(e.message).toContain(`to schema v${n + 1} failed (boom); it was left at v${n}`);
    expect(schemaVersion(db)).toBe(n);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).get()).toBeUndefined();
    db.close();
  });

  it('refuses a store written by a newer workbench and releases its lock', () => {
    const dir = path.join(tmp, 'data');
    storeAt(dir).close();
    const db = new Database(path.join(dir, 'runs.db'));
    db.pragma('user_version = 99');
    db.close();
    const e = storeError(() => openStore(dir));
    expect(e.code).toBe('conflict');
    expect(e.message).toContain(`schema v99 but this workbench knows only v${migrations.length}; update the workbench`);
    expect(fs.existsSync(path.join(dir, 'store.lock'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('one workbench per data folder', () => {
  it('refuses a second open of the same folder, naming the owner pid, until the first closes', () => {
    const dir = path.join(tmp, 'data');
    const first = openStore(dir);
    const e = storeError(() => openStore(dir));
    expect(e.code).toBe('conflict');
    expect(e.message).toBe(
      `the run store in ${dir} is in use by another workbench (pid ${process.pid}); close it or choose another data folder`,
    );
    first.close();
    expect(fs.existsSync(path.join(dir, 'store.lock'))).toBe(false);
    storeAt(dir);
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = path.join(tmp, 'data');
    fs.mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(path.join(dir, 'store.lock'), `${dead}\n`);
    storeAt(dir);
    expect(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('refuses while another process holds the folder, and opens once that process is killed', async () => {
    const dir = path.join(tmp, 'data');
    const child = await startChild(dir, 'hold');
    try {
      await child.waitFor('ready');
      expect(storeError(() => openStore(dir)).message).toContain(`in use by another workbench (pid ${child.proc.pid})`);
    } finally {
      await child.kill();
    }
    expect(storeAt(dir).listRuns()).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the run repository', () => {
  it('creates a queued run holding its whole config, and a folder for it', () => {
    const s = storeAt();
    const cfg = config({ name: 'classical', protocol: 'manual', model: { swapped: ['conv2_1'] } });
    const run = s.createRun(cfg, {
      appVersion: '0.1.0',
      tags: [' study ', 'study', ''],
      datasetChecksum: 'sha256:abc',
    });
    expect(run).toMatchObject({
      name: 'classical',
      tags: ['study'],
      protocol: 'manual',
      status: 'queued',
      statusReason: null,
      config: cfg,
      appVersion: '0.1.0',
      datasetChecksum: 'sha256:abc',
      final: null,
      epochs: [],
      greedy: [],
      swapped: ['conv2_block1'],
      checkpointPath: null,
      weightsPath: null,
    });
    expect(run.id).toMatch(/^[0-9a-z]{9}-[0-9a-f]{8}$/);
    expect(fs.statSync(s.runDir(run.id)).isDirectory()).toBe(true);
    expect(s.runDir(run.id)).toBe(path.join(tmp, 'data', 'runs', run.id));
  });

  it('rejects an invalid config with the field named', () => {
    const s = storeAt();
    const e = storeError(() => s.createRun({ ...config(), epochs: 0 } as RunConfig, { appVersion: '0.1.0' }));
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain('epochs: epochs must be at least 1');
  });

  it('records status, epochs (replacing a re-run epoch), greedy steps, final metrics, artefacts and backend', () => {
    const s = storeAt();
    const { id } = s.createRun(config({ protocol: 'greedy' }), { appVersion: '0.1.0' });
    s.setStatus(id, 'running');
    s.setBackend(id, 'tensorflow', 'CPU x86_64');
    s.addEpoch(id, epoch('train', 1, { loss: Number.NaN, testAcc: null, testLoss: null }));
    s.addEpoch(id, epoch('train', 2));
    s.addEpoch(id, epoch('train', 2, { trainAcc: 0.99 }));
    s.addEpoch(id, epoch('fine-tune', 1));
    s.addGreedy(id, { block: 'conv2_1', label: 'conv2_1', pass: 1, testAcc: 0.8, kept: true });
    s.addGreedy(id, { block: 'conv2_block2', label: 'conv2_2', pass: 1, testAcc: 0.6, kept: false });
    s.setFinal(id, FINAL, ['conv2_1']);
    s.setArtefacts(id, {
      checkpointPath: 'checkpoint/model.json',
      weightsPath: path.join(s.runDir(id), 'weights.bin'),
    });
    s.setStatus(id, 'done');

    const run = s.getRun(id);
    expect(run).toMatchObject({
      status: 'done',
      statusReason: null,
      backend: 'tensorflow',
      device: 'CPU x86_64',
      final: FINAL,
    });
    expect(run.epochs.map((e) => [e.phase, e.epoch, e.trainAcc])).toEqual([
      ['train', 1, 0.1],
      ['train', 2, 0.99],
      ['fine-tune', 1, 0.1],
    ]);
    expect(run.epochs[0].loss).toBeNaN();
    expect(run.epochs[0].testAcc).toBeNull();
    expect(run.greedy).toEqual([
      { block: 'conv2_block1', label: 'conv2_1', pass: 1, testAcc: 0.8, kept: true },
      { block: 'conv2_block2', label: 'conv2_2', pass: 1, testAcc: 0.6, kept: false },
    ]);
    expect(run.swapped).toEqual(['conv2_block1']);
    expect(run.checkpointPath).toBe(path.join(s.runDir(id), 'checkpoint', 'model.json'));
    expect(run.weightsPath).toBe(path.join(s.runDir(id), 'weights.bin'));
    expect(run.updatedAt >= run.createdAt).toBe(true);
  });

  it('keeps a failure reason with the status', () => {
    const s = storeAt();
    const { id } = s.createRun(config(), { appVersion: '0.1.0' });
    s.setStatus(id, 'failed', 'out of memory; lower the batch size');
    expect(s.getRun(id)).toMatchObject({ status: 'failed', statusReason: 'out of memory; lower the batch size' });
  });

  it("answers an unknown id with code 'not-found' for every operation", () => {
    const s = storeAt();
    const calls: (() => unknown)[] = [
      () => s.getRun('nope'),
      () => s.setStatus('nope', 'done'),
      () => s.addEpoch('nope', epoch('train', 1)),
      () => s.addGreedy('nope', { block: 'conv2_1', label: 'conv2_1', pass: 1, testAcc: 0.5, kept: true }),
      () => s.setFinal('nope', FINAL, []),
      () => s.setArtefacts('nope', { weightsPath: 'w.bin' }),
      () => s.setBackend('nope', 'cpu', null),
      () => s.renameRun('nope', 'x'),
      () => s.tagRun('nope', []),
      () => s.deleteRun('nope'),
    ];
    for (const call of calls) {
      const e = storeError(call);
      expect(e.code).toBe('not-found');
      expect(e.message).toBe('no run with id nope; it may have been deleted, refresh the run list');
    }
  });

  it('refuses ids that would leave the runs folder', () => {
    const s = storeAt();
    expect(storeError(() => s.runDir('../x')).code).toBe('bad-input');
    expect(storeError(() => s.deleteRun('../../etc')).code).toBe('bad-input');
  });

  it('lists summaries newest first, filtered by search, status, protocol and tag', () => {
    const s = storeAt();
    const a = s.createRun(config({ name: 'Classical ResNet50' }), { appVersion: '0.1.0', tags: ['study'] });
    const b = s.createRun(config({ name: 'DWConv 100%_done', protocol: 'greedy', model: { widthDivisor: 8 } }), {
      appVersion: '0.1.0',
    });
    s.setStatus(b.id, 'done');
    expect(s.listRuns().map((r) => r.id)).toEqual([b.id, a.id]);
    expect(s.listRuns({ search: 'resnet' }).map((r) => r.id)).toEqual([a.id]);
    expect(s.listRuns({ search: '100%_' }).map((r) => r.id)).toEqual([b.id]);
    expect(s.listRuns({ search: '0%x' })).toEqual([]);
    expect(s.listRuns({ status: 'done' }).map((r) => r.id)).toEqual([b.id]);
    expect(s.listRuns({ protocol: 'baseline' }).map((r) => r.id)).toEqual([a.id]);
    expect(s.listRuns({ tag: 'study' }).map((r) => r.id)).toEqual([a.id]);
    expect(s.listRuns({ tag: 'stud' })).toEqual([]);
    const summary = s.listRuns({ protocol: 'greedy' })[0];
    expect(summary.widthDivisor).toBe(8);
    expect(summary).not.toHaveProperty('config');
    expect(summary).not.toHaveProperty('epochs');
  });

  it('renames and re-tags a run, refusing an empty name', () => {
    const s = storeAt();
    const { id } = s.createRun(config(), { appVersion: '0.1.0', tags: ['a'] });
    s.renameRun(id, '  DWConv resnet50 ');
    s.tagRun(id, ['b', 'c', 'b']);
    expect(s.getRun(id)).toMatchObject({ name: 'DWConv resnet50', tags: ['b', 'c'] });
    expect(storeError(() => s.renameRun(id, '   ')).code).toBe('bad-input');
  });

  it('deletes a run with its rows and folder, but refuses a running one', () => {
    const s = storeAt();
    const { id } = s.createRun(config(), { appVersion: '0.1.0' });
    s.addEpoch(id, epoch('train', 1));
    fs.writeFileSync(path.join(s.runDir(id), 'weights.bin'), 'w');
    s.setStatus(id, 'running');
    const e = storeError(() => s.deleteRun(id));
    expect(e.code).toBe('conflict');
    expect(e.message).toBe(`run ${id} is running; cancel it first, then delete it`);
    expect(fs.existsSync(path.join(s.runDir(id), 'weights.bin'))).toBe(true);

    s.setStatus(id, 'cancelled');
    s.deleteRun(id);
    expect(fs.existsSync(s.runDir(id))).toBe(false);
    expect(s.listRuns()).toEqual([]);
    expect(storeError(() => s.getRun(id)).code).toBe('not-found');
    expect(fs.readdirSync(path.join(tmp, 'data', 'runs'))).toEqual([]);
  });

  it('marks runs left running or queued by a dead process as interrupted', () => {
    const dir = path.join(tmp, 'data');
    const s1 = openStore(dir);
    const running = s1.createRun(config(), { appVersion: '0.1.0' });
    const queued = s1.createRun(config(), { appVersion: '0.1.0' });
    const done = s1.createRun(config(), { appVersion: '0.1.0' });
    s1.setStatus(running.id, 'running');
    s1.setStatus(done.id, 'done');
    s1.close();

    const s2 = storeAt(dir);
    expect(s2.markInterrupted().sort()).toEqual([running.id, queued.id].sort());
    expect(s2.getRun(running.id)).toMatchObject({ status: 'interrupted', statusReason: INTERRUPTED_REASON });
    expect(s2.getRun(done.id).status).toBe('done');
    expect(s2.markInterrupted()).toEqual([]);
  });

  it('rolls back every write of a transaction that throws', () => {
    const s = storeAt();
    const { id } = s.createRun(config(), { appVersion: '0.1.0' });
    expect(() =>
      s.transaction(() => {
        s.addEpoch(id, epoch('train', 1));
        s.setStatus(id, 'running');
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(s.getRun(id)).toMatchObject({ status: 'queued', epochs: [] });
  });
});

// ---------------------------------------------------------------------------------------------

describe('atomic writes', () => {
  it('writeFileAtomic replaces a file whole and leaves no temporary file', async () => {
    const file = path.join(tmp, 'a.json');
    await writeFileAtomic(file, 'old');
    await writeFileAtomic(file, strToU8('new'));
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(tmp)).toEqual(['a.json']);
  });

  it('writeFileAtomic leaves the target as it was when the write fails', async () => {
    const target = path.join(tmp, 'busy');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'keep');
    const e = await storeErrorAsync(writeFileAtomic(target, 'x'));
    expect(e.message).toMatch(/^cannot write .*busy \(E\w+\); check that the folder is writable/);
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('keep');
    expect(fs.readdirSync(tmp)).toEqual(['busy']);
    await storeErrorAsync(writeFileAtomic(path.join(tmp, 'missing', 'f'), 'x'));
  });

  it('writeDirAtomic builds a folder, then replaces it whole', async () => {
    const dir = path.join(tmp, 'run');
    await writeDirAtomic(dir, async (t) => fs.writeFileSync(path.join(t, 'v1'), '1'));
    await writeDirAtomic(dir, async (t) => fs.writeFileSync(path.join(t, 'v2'), '2'));
    expect(fs.readdirSync(dir)).toEqual(['v2']);
    expect(fs.readdirSync(tmp)).toEqual(['run']);
  });

  it('writeDirAtomic leaves the target unchanged when the builder throws', async () => {
    const dir = path.join(tmp, 'run');
    await writeDirAtomic(dir, async (t) => fs.writeFileSync(path.join(t, 'good'), 'g'));
    const failing = writeDirAtomic(dir, async (t) => {
      fs.writeFileSync(path.join(t, 'half'), 'h');
      throw new Error('builder crashed');
    });
    const err: unknown = await failing.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe('builder crashed');
    expect(fs.readdirSync(dir)).toEqual(['good']);
    expect(fs.readdirSync(tmp)).toEqual(['run']);
  });

  it('after a crash between the two renames of a swap, the old folder comes back', async () => {
    const dir = path.join(tmp, 'run');
    // The state a crash leaves: the old folder moved aside, the new one not yet in place.
    fs.mkdirSync(path.join(tmp, '.old-run'));
    fs.writeFileSync(path.join(tmp, '.old-run', 'old'), 'o');
    fs.mkdirSync(path.join(tmp, '.tmp-run-123-abcd'));
    recoverDir(dir);
    expect(fs.readdirSync(dir)).toEqual(['old']);
    // And if the new folder did make it, the old copy is dropped.
    fs.mkdirSync(path.join(tmp, '.old-run'));
    recoverDir(dir);
    expect(fs.existsSync(path.join(tmp, '.old-run'))).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(['old']);
  });

  it('opening the store restores interrupted swaps and clears half-built folders', () => {
    const runs = path.join(tmp, 'data', 'runs');
    fs.mkdirSync(path.join(runs, '.old-r1'), { recursive: true });
    fs.writeFileSync(path.join(runs, '.old-r1', 'weights.bin'), 'w');
    fs.mkdirSync(path.join(runs, '.tmp-r2-1-ff'));
    fs.mkdirSync(path.join(runs, '.trash-r3-1-ff'));
    // Inside a run folder: a checkpoint swap cut short, and a half-written file.
    fs.mkdirSync(path.join(runs, 'r4', '.old-checkpoint'), { recursive: true });
    fs.writeFileSync(path.join(runs, 'r4', '.old-checkpoint', 'state.json'), '{}');
    fs.writeFileSync(path.join(runs, 'r4', '.tmp-final.json-1-ff'), '{"tru');
    storeAt();
    expect(fs.readdirSync(runs)).toEqual(['r1', 'r4']);
    expect(fs.readdirSync(path.join(runs, 'r1'))).toEqual(['weights.bin']);
    expect(fs.readdirSync(path.join(runs, 'r4'))).toEqual(['checkpoint']);
    expect(fs.readdirSync(path.join(runs, 'r4', 'checkpoint'))).toEqual(['state.json']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('.dwrun export and import', () => {
  function fullRun(s: Store): string {
    const { id } = s.createRun(config({ protocol: 'greedy', name: 'greedy study' }), {
      appVersion: '0.1.0',
      tags: ['study'],
    });
    s.setStatus(id, 'running');
    s.setBackend(id, 'cpu', null);
    s.addEpoch(id, epoch('train', 1, { loss: Number.POSITIVE_INFINITY }));
    s.addEpoch(id, epoch('train', 2));
    s.addGreedy(id, { block: 'conv3_2', label: 'conv3_2', pass: 2, testAcc: 0.77, kept: true });
    const dir = s.runDir(id);
    fs.mkdirSync(path.join(dir, 'checkpoint'));
    fs.writeFileSync(path.join(dir, 'checkpoint', 'model.json'), '{"format":"layers-model"}');
    fs.writeFileSync(
      path.join(dir, 'weights.bin'),
      Buffer.from(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)).buffer),
    );
    s.setArtefacts(id, { checkpointPath: 'checkpoint/model.json', weightsPath: 'weights.bin' });
    fs.writeFileSync(path.join(dir, '.tmp-state.json-1-ff'), 'half-written, not exported');
    s.setFinal(id, FINAL, ['conv3_2']);
    s.setStatus(id, 'done');
    return id;
  }

  it('round-trips a run, files included, into a fresh store', async () => {
    const a = storeAt(path.join(tmp, 'a'));
    const id = fullRun(a);
    const file = path.join(tmp, 'run.dwrun');
    await a.exportRun(id, file);

    const b = storeAt(path.join(tmp, 'b'));
    const imported = await b.importRun(file);
    const original = a.getRun(id);
    expect(imported).toEqual({
      ...original,
      checkpointPath: path.join(b.runDir(id), 'checkpoint', 'model.json'),
      weightsPath: path.join(b.runDir(id), 'weights.bin'),
      origin: { ...imported.origin, file: 'run.dwrun', appVersion: original.appVersion },
    });
    expect(original.origin, 'a run made here has no origin').toBeNull();
    expect(imported.epochs[0].loss).toBe(Number.POSITIVE_INFINITY);
    expect(fs.readdirSync(b.runDir(id)).sort()).toEqual(['checkpoint', 'weights.bin']);
    for (const rel of ['checkpoint/model.json', 'weights.bin']) {
      expect(fs.readFileSync(path.join(b.runDir(id), rel))).toEqual(fs.readFileSync(path.join(a.runDir(id), rel)));
    }

    const again = await b.importRun(file);
    expect(again.id).not.toBe(id);
    expect(again.weightsPath).toBe(path.join(b.runDir(again.id), 'weights.bin'));
    expect(b.listRuns()).toHaveLength(2);
  });

  it('imports a run exported while running as interrupted', async () => {
    const a = storeAt(path.join(tmp, 'a'));
    const { id } = a.createRun(config(), { appVersion: '0.1.0' });
    a.setStatus(id, 'running');
    await a.exportRun(id, path.join(tmp, 'live.dwrun'));
    const run = await storeAt(path.join(tmp, 'b')).importRun(path.join(tmp, 'live.dwrun'));
    expect(run.status).toBe('interrupted');
  });

  async function validArchive(): Promise<Zippable> {
    const a = storeAt(path.join(tmp, 'a'));
    const id = fullRun(a);
    await a.exportRun(id, path.join(tmp, 'ok.dwrun'));
    return { 'run.json': strToU8(JSON.stringify(a.getRun(id))) };
  }

  async function expectRefused(entries: Zippable, message: string): Promise<void> {
    const file = path.join(tmp, 'crafted.dwrun');
    fs.writeFileSync(file, zipSync(entries));
    const dataDir = path.join(tmp, 'victim');
    const b = storeAt(dataDir);
    const e = await storeErrorAsync(b.importRun(file));
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain(message);
    expect(b.listRuns()).toEqual([]);
    expect(fs.readdirSync(path.join(dataDir, 'runs'))).toEqual([]);
    b.close();
    open = open.filter((s) => s !== b);
    fs.rmSync(dataDir, { recursive: true });
  }

  it('refuses an archive with ../evil and writes nothing', async () => {
    const base = await validArchive();
    await expectRefused({ ...base, '../evil': strToU8('x') }, 'unsafe path in archive: ../evil');
    await expectRefused({ ...base, 'files/../../evil': strToU8('x') }, 'unsafe path in archive: files/../../evil');
    expect(fs.existsSync(path.join(tmp, 'evil'))).toBe(false);
  });

  it('refuses absolute paths, backslashes, symbolic links and a file posing as a folder', async () => {
    const base = await validArchive();
    const link: Zippable = { 'files/link': [strToU8('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] };
    await expectRefused({ ...base, '/etc/evil': strToU8('x') }, 'unsafe path in archive: /etc/evil');
    await expectRefused({ ...base, 'files/..\\..\\evil': strToU8('x') }, 'unsafe path in archive: files/..\\..\\evil');
    await expectRefused({ ...base, 'files/C:': strToU8('x') }, 'unsafe path in archive: files/C:');
    await expectRefused({ ...base, ...link }, 'unsafe path in archive: files/link');
    await expectRefused(
      { ...base, 'files/a': strToU8('x'), 'files/a/b': strToU8('y') },
      'unsafe path in archive: files/a/b',
    );
  });

  it('refuses a run.json that does not validate, naming the field', async () => {
    const base = await validArchive();
    const record = JSON.parse(Buffer.from(base['run.json'] as Uint8Array).toString()) as { config: { batchSize: number } };
    record.config.batchSize = 0;
    await expectRefused(
      { 'run.json': strToU8(JSON.stringify(record)) },
      'is invalid at config.batchSize: batch size must be at least 1',
    );
    await expectRefused({ 'files/x': strToU8('x') }, 'the archive has no run.json');
  });

  it('refuses a file that is not a zip, and a missing file', async () => {
    const s = storeAt();
    fs.writeFileSync(path.join(tmp, 'junk.dwrun'), 'not a zip at all, just text');
    expect((await storeErrorAsync(s.importRun(path.join(tmp, 'junk.dwrun')))).message).toContain(
      'is not a .dwrun archive',
    );
    expect((await storeErrorAsync(s.importRun(path.join(tmp, 'none.dwrun')))).code).toBe('not-found');
  });
});

// ---------------------------------------------------------------------------------------------
// Crash safety: a real process, killed with SIGKILL.
// ---------------------------------------------------------------------------------------------

const CHILD = `
import { writeSync } from 'node:fs';
import { openStore } from ${JSON.stringify(path.join(ROOT, 'src-main/store/index.ts'))};
import { RunConfigSchema } from ${JSON.stringify(path.join(ROOT, 'src-main/contract/index.ts'))};

const [dir, mode] = process.argv.slice(2);
const say = (line: string) => writeSync(1, line + '\\n');
const epoch = (phase: string, n: number) => ({ phase, epoch: n, loss: 1, trainAcc: 0.5, testAcc: 0.4, testLoss: 1.2, seconds: 1, samplesPerSec: 100 });
const store = openStore(dir);
const cfg = RunConfigSchema.parse({ protocol: 'baseline', data: { path: 'x' }, epochs: 1, batchSize: 8 });
const { id } = store.createRun(cfg, { appVersion: 'crash-test' });
store.setStatus(id, 'running');
for (let i = 0; i < 3; i++) store.addEpoch(id, epoch('committed', i));
say('run ' + id);
if (mode === 'hold') {
  say('ready');
  setInterval(() => {}, 1000);
} else if (mode === 'mid') {
  store.transaction(() => {
    // ~30 MB, more than better-sqlite3's 16 MB page cache, so SQLite spills pages into the WAL file.
    for (let i = 0; i < 60000; i++) store.addEpoch(id, epoch('uncommitted ' + 'x'.repeat(400), i));
    say('inside');
    for (;;) {} // never commits: killed here
  });
} else {
  say('looping');
  for (let b = 0; ; b++) store.transaction(() => { for (let i = 0; i < 50; i++) store.addEpoch(id, epoch('loop', b * 50 + i)); });
}
`;

interface Child {
  proc: ChildProcess;
  waitFor(text: string): Promise<string>;
  kill(): Promise<void>;
}

async function startChild(dataDir: string, mode: 'hold' | 'mid' | 'loop'): Promise<Child> {
  const script = path.join(tmp, 'child.mts');
  fs.writeFileSync(script, CHILD);
  const proc = spawn(process.execPath, ['--import', 'tsx/esm', script, dataDir, mode], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(proc, 'exit');
  const waitFor = async (text: string): Promise<string> => {
    const deadline = Date.now() + 60_000;
    while (!out.includes(`${text}`)) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`child never said "${text}": ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return out;
  };
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  return { proc, waitFor, kill };
}

function runIdFrom(out: string): string {
  return /run (\S+)/.exec(out)![1];
}

describe('a process killed with SIGKILL', () => {
  it('mid-transaction: none of that transaction survives, the file is sound, the run becomes interrupted', async () => {
    const dir = path.join(tmp, 'data');
    const child = await startChild(dir, 'mid');
    let out: string;
    try {
      out = await child.waitFor('inside');
    } finally {
      await child.kill();
    }
    expect(child.proc.signalCode).toBe('SIGKILL');
    // The uncommitted pages did reach the log on disk; they must still be ignored.
    expect(fs.statSync(path.join(dir, 'runs.db-wal')).size).toBeGreaterThan(1 << 20);

    const id = runIdFrom(out);
    const s = storeAt(dir);
    expect(s.check()).toEqual(['ok']);
    expect(s.getRun(id).epochs.map((e) => e.phase)).toEqual(['committed', 'committed', 'committed']);
    expect(s.markInterrupted()).toEqual([id]);
    expect(s.getRun(id)).toMatchObject({ status: 'interrupted', statusReason: INTERRUPTED_REASON });
  });

  it('between and during many transactions: each one is there whole or not at all', async () => {
    const dir = path.join(tmp, 'data');
    const child = await startChild(dir, 'loop');
    let out: string;
    try {
      out = await child.waitFor('looping');
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      await child.kill();
    }
    const s = storeAt(dir);
    expect(s.check()).toEqual(['ok']);
    const loop = s.getRun(runIdFrom(out)).epochs.filter((e) => e.phase === 'loop');
    expect(loop.length).toBeGreaterThan(0);
    expect(loop.length % 50).toBe(0);
    expect(loop.map((e) => e.epoch)).toEqual(loop.map((_, i) => i));
  });
});
