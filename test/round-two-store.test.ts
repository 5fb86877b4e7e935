/**
 * Issue #13, round two, the store's side: other people's databases are never modified (and named
 * in the refusal), a read-only store says so, the single-instance lock lets exactly one of several
 * processes in, names and messages never reach a terminal raw, and an imported run is marked as
 * imported with the checks on its claims. Each table row is one line: what, how it is refused.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalJson, terminalSafe } from '../src-main/cli/sanitise';
import { exportPdf } from '../src-main/ipc/report';
import { openStore, StoreError } from '../src-main/store';
import { APPLICATION_ID, migrations } from '../src-main/store/db';
import { buildSeed, copySeed, folderState, limiter, ROOT, runCli, type Seed } from './helpers/guarded-store';
import { doctor } from './helpers/hostile';

let tmp: string;
let seed: Seed;
let good: Uint8Array;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-round2s-'));
  seed = await buildSeed(tmp);
  const store = openStore(copySeed(seed, path.join(tmp, 'export-source')));
  try {
    good = fs.readFileSync(await store.exportRun(seed.runs.baseline, path.join(tmp, 'good.dwrun')));
  } finally {
    store.close();
  }
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const slot = limiter(2);

/** A data folder holding `runs.db` made by `make`. */
function folderWith(name: string, make: (db: Database.Database) => void): string {
  const dir = path.join(tmp, 'foreign', name);
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, 'runs.db'));
  make(db);
  db.close();
  return dir;
}

describe("other people's databases", () => {
  const FOREIGN: [string, (db: Database.Database) => void][] = [
    ['another application\'s tables', (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'mine\')')],
    ['another application\'s id', (db) => db.pragma('application_id = 1234')],
    ['our user_version but not our schema', (db) => (db.exec('CREATE TABLE runs (x)'), db.pragma('user_version = 2'))],
    ['our tables plus one of its own', (db) => (migrations.forEach((m) => m(db)), db.exec('CREATE TABLE extra (a)'), db.pragma(`user_version = ${migrations.length}`))],
  ];
  it.each(FOREIGN)('%s: refused naming the file and what was expected; not a byte changed', (what, make) => {
    const dir = folderWith(what.replace(/\W+/g, '-'), make);
    const file = path.join(dir, 'runs.db');
    const before = sha(file);
    let e: unknown;
    try {
      openStore(dir).close();
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).code).toBe('bad-input');
    expect((e as StoreError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a workbench run store \\(it has .*; expected application_id 0x44575357 or an empty file\\); nothing was changed`));
    expect(sha(file), 'the file is untouched').toBe(before);
    expect(fs.readdirSync(dir).sort(), 'no runs/ folder, WAL or journal added').toEqual(['runs.db', 'store.lock.db']);
  });

  it('through the CLI: one line naming the file, exit 2', async () => {
    const dir = folderWith('cli', FOREIGN[0][1]);
    const r = await slot(() => runCli(['runs', '--store', dir]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dwswap: error: .*cli\/runs\.db is not a workbench run store [^\n]*\n$/);
  });

  it('recognises a store made before the id was set by its exact schema, stamps it, and keeps its runs', () => {
    const dir = copySeed(seed, path.join(tmp, 'unstamped'));
    const db = new Database(path.join(dir, 'runs.db'));
    db.pragma('application_id = 0');
    const v2 = folderWith('v2', (d) => (migrations.slice(0, 2).forEach((m) => m(d)), d.pragma('user_version = 2')));
    db.close();
    for (const d of [dir, v2]) openStore(d).close();
    const stamped = (d: string) => new Database(path.join(d, 'runs.db')).pragma('application_id', { simple: true });
    expect([stamped(dir), stamped(v2)]).toEqual([APPLICATION_ID, APPLICATION_ID]);
    expect(openStore(dir).listRuns().length, 'runs kept').toBeGreaterThan(0);
  });

  it.skipIf(process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0)(
    'a read-only store: one line saying which file is read-only and what to do',
    async () => {
      const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-ro-'));
      fs.chmodSync(parent, 0o755);
      const dir = copySeed(seed, path.join(parent, 'read-only'));
      fs.chmodSync(dir, 0o777); // the lock may be taken, the database (root's, 0644) may not be written
      for (const f of fs.readdirSync(dir)) if (f.startsWith('store.lock')) fs.rmSync(path.join(dir, f));
      const before = await folderState(dir);
      const node = [process.execPath, path.join(ROOT, 'bin', 'dwswap.mjs'), 'runs', '--store', dir];
      const r = spawnSync('runuser', ['-u', 'nobody', '--', ...node], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^dwswap: error: the run store .*read-only\/runs\.db is read-only \(SQLITE_READONLY\); make the file and its folder writable, or choose another data folder\n$/);
      expect(await folderState(dir)).toEqual(before);
      fs.rmSync(parent, { recursive: true, force: true });
    },
  );
});

describe('the desktop app\'s PDF save goes through the same safe write', () => {
  const pdf = { printToPDF: async () => new Uint8Array([37, 80, 68, 70]) };
  const TARGETS: [string, (dir: string) => string, RegExp | null][] = [
    ['a link to /dev/null', (d) => (fs.symlinkSync('/dev/null', path.join(d, 'null.pdf')), path.join(d, 'null.pdf')), /null\.pdf is a symbolic link; the workbench never writes through links/],
    ['a FIFO', (d) => (spawnSync('mkfifo', [path.join(d, 'p.pdf')]), path.join(d, 'p.pdf')), /p\.pdf exists and is not a regular file/],
    ['an existing regular file (the save dialog asked)', (d) => (fs.writeFileSync(path.join(d, 'old.pdf'), 'old'), path.join(d, 'old.pdf')), null],
  ];
  it.each(TARGETS)('%s', async (_what, make, refused) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'pdf-'));
    const file = make(dir);
    const r = await exportPdf(pdf, async () => file);
    if (refused) {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.message).toMatch(refused);
      expect(fs.lstatSync(file).isFile(), 'the target is still what it was').toBe(false);
    } else {
      expect(r).toEqual({ ok: true, path: file });
      expect(fs.readFileSync(file, 'latin1')).toBe('%PDF');
    }
  });
});

// ---------------------------------------------------------------------------------------------

const CONTENDER = `
import readline from 'node:readline';
import { acquireLock } from ${JSON.stringify(path.join(ROOT, 'src-main/store/lock.ts'))};
let lock = null;
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, dir] = line.split(' ');
  if (cmd === 'try') {
    try { lock = acquireLock(dir); console.log('got'); } catch (e) { console.log('busy ' + e.code); }
  } else if (cmd === 'release') { lock?.release(); lock = null; console.log('released'); }
});
console.log('ready');
`;

function contender(script: string): { proc: ChildProcess; next: () => Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx/esm', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
      const line = buf.slice(0, i);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => waiting.push(r)));
  return { proc, next };
}

describe('the lock', () => {
  it('of three processes trying at once against a stale lock, exactly one wins, in each of 25 trials', async () => {
    const script = path.join(tmp, 'contender.mts');
    fs.writeFileSync(script, CONTENDER);
    const procs = [contender(script), contender(script), contender(script)];
    try {
      for (const p of procs) expect(await p.next()).toBe('ready');
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      for (let trial = 0; trial < 25; trial++) {
        const dir = path.join(tmp, 'lock', String(trial));
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'store.lock'), `${dead}\n`); // a stale pid file...
        fs.writeFileSync(path.join(dir, 'store.lock.db'), ''); // ...and the lock file a dead owner leaves
        for (const p of procs) p.proc.stdin!.write(`try ${dir}\n`);
        const answers = await Promise.all(procs.map((p) => p.next()));
        expect(answers.filter((a) => a === 'got'), `trial ${trial}: ${answers.join(', ')}`).toHaveLength(1);
        expect(answers.filter((a) => a === 'busy conflict')).toHaveLength(2);
        for (const p of procs) p.proc.stdin!.write('release\n');
        expect(await Promise.all(procs.map((p) => p.next()))).toEqual(['released', 'released', 'released']);
      }
    } finally {
      for (const p of procs) p.proc.kill();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('output that executes', () => {
  const SAFE: [string, string, string][] = [
    ['a CSI sequence (clear screen)', 'a\x1b[2Jb', 'ab'],
    ['an OSC title change ended by BEL', 'a\x1b]0;pwned\x07b', 'ab'],
    ['an OSC ended by ST', 'a\x1b]8;;http://x\x1b\\b', 'ab'],
    ['an 8-bit CSI', 'a\x9b31mb', 'ab'],
    ['a bare ESC, BEL, backspace, CR', 'a\x1b\x07\b\rb', 'a???b'],
    ['DEL and a C1 control', 'a\x7f\x85b', 'a??b'],
    ['a newline inside a value', 'a\nb', 'a?b'],
  ];
  it.each(SAFE)('%s: removed or replaced', (_what, input, output) => expect(terminalSafe(input)).toBe(output));

  it('JSON for the terminal escapes DEL and C1 as well', () => {
    expect(terminalJson({ n: 'a\x1b\x9bb\x7f' })).toBe('{\n  "n": "a\\u001b\\u009bb\\u007f"\n}');
  });

  it('dwswap runs and show print a stored name with escape sequences inert', async () => {
    const dir = copySeed(seed, path.join(tmp, 'esc-name'));
    const db = new Database(path.join(dir, 'runs.db'));
    db.prepare('UPDATE runs SET name = ? WHERE id = ?').run('evil\x1b]0;pwned\x07\x1b[2J\x9b1m', seed.runs.baseline);
    db.close();
    // (--json goes through terminalJson, checked above.)
    for (const args of [['runs'], ['show', seed.runs.baseline]]) {
      const r = await slot(() => runCli([...args, '--store', dir]));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('evil');
      // eslint-disable-next-line no-control-regex -- what must not reach the terminal
      expect(r.stdout, args.join(' ')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('imported claims', () => {
  it('marks an imported run with where it came from; checks that pass say so', async () => {
    const store = openStore(path.join(tmp, 'import-good'));
    try {
      const run = await store.importRun(path.join(tmp, 'good.dwrun'));
      expect(run.origin).toMatchObject({ file: 'good.dwrun', appVersion: 'test', host: os.hostname() });
      expect(run.origin!.checks.passed).toBe(true);
      expect(run.origin!.checks.notes.join('; ')).toMatch(/^checksums of 3 files match; swapped blocks \(0\) match the weights; accuracy and timings are as recorded/);
    } finally {
      store.close();
    }
  });

  /** The last column says whether the CLI's runs/show are checked too (once is enough: the same lines). */
  const CLAIMS: [string, (r: Record<string, unknown>) => void, RegExp, boolean][] = [
    ['a parameter count the weights do not have', (r) => (r.final = FINAL), /the record claims 123 parameters but the weights hold \d+/, true],
    ['swapped blocks the weights do not have', (r) => (r.swapped = ['conv2_block1']), /the record claims 1 swapped blocks but the weights have 0/, false],
  ];
  const FINAL = { trainAcc: 0.99, testAcc: 0.99, params: 123, weightsMiB: 0.1, blocksSwapped: 0, inferenceSeconds: 1, inferenceBatch: 1, inferenceImages: 1, backend: 'cpu', trainSeconds: 1, epochsTrained: 1 };
  it.each(CLAIMS)('%s: imported, flagged unverified in the record (and in dwswap runs/show)', async (_what, change, note, cli) => {
    const dir = path.join(tmp, 'claims', String(Math.random()).slice(2));
    const file = path.join(dir, 'claims.dwrun');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, doctor(good, (_e, r) => change(r)));
    const store = openStore(path.join(dir, 'data'));
    let id: string;
    try {
      const run = await store.importRun(file);
      id = run.id;
      expect(run.origin!.checks.passed).toBe(false);
      expect(run.origin!.checks.notes.join('; ')).toMatch(note);
    } finally {
      store.close();
    }
    if (!cli) return;
    const list = await slot(() => runCli(['runs', '--store', path.join(dir, 'data')]));
    expect(list.stdout).toMatch(/\[imported, UNVERIFIED from claims\.dwrun\]/);
    const show = await slot(() => runCli(['show', id, '--store', path.join(dir, 'data')]));
    expect(show.stdout).toMatch(/imported {2}from claims\.dwrun/);
    expect(show.stdout).toMatch(/checks {4}NOT all passed/);
    expect(show.stdout).toMatch(note);
  });
});
