/**
 * Issue #13, "Nothing lost, nothing let in: round two". One table per class of hostile input, each
 * row one line (what, how it is refused), sent through the host's contract (dispatch, as the
 * WebSocket and Electron IPC transports call it); each on its own copy of the seeded data folder,
 * fingerprinted (runs, records, files and their bytes) before and after, together with the
 * folder outside the store the row writes into. Then a few of them through the CLI, and the host
 * answering a second WebSocket client while the first sends hostile input. Foreign databases, the
 * lock, terminal output and imported claims: round-two-store.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiError, HostMethod, WireMessage } from '../src-main/contract';
import { createHost } from '../src-main/host/host';
import { openStore } from '../src-main/store';
import { serveHost } from '../src-main/transports/ws';
import { buildSeed, copySeed, fileFingerprint, folderState, limiter, okConfig, runCli, runState, TINY_DATA, type Seed } from './helpers/guarded-store';
import { doctor, lieAboutSize, mkfifo, refusalOf } from './helpers/hostile';
import { makeTinyCifarBinary, makeTinyCifarFolder, makeTinyCifarZip } from './helpers/tiny-cifar';
import { connect } from './helpers/wire';

const GIB = 1024 ** 3;
let tmp: string;
let seed: Seed;
/** The seeded baseline run exported for real. */
let good: Uint8Array;
/** Hostile datasets, by name. */
const data: Record<string, string> = {};

/** A tiny binary release changed by `edit(batches, dir)`. */
function binary(name: string, edit: (batches: string[], dir: string) => void): string {
  const dir = makeTinyCifarBinary(path.join(tmp, 'data', name), TINY_DATA);
  edit(fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => path.join(dir, f)), dir);
  return dir;
}

function relabel(file: string, label: (i: number) => number): void {
  const b = fs.readFileSync(file);
  for (let r = 0; r < b.length; r += 3073) b[r] = label(r / 3073);
  fs.writeFileSync(file, b);
}

/** The tiny zip with its first train image of class a changed by `edit`. */
function zipWith(name: string, edit: (zip: Uint8Array, first: string) => Uint8Array): string {
  const file = makeTinyCifarZip(path.join(tmp, 'data'), { ...TINY_DATA, name });
  const bytes = fs.readFileSync(file);
  const first = Object.keys(unzipSync(bytes, { filter: (f) => f.name.includes('train/a/') })).sort()[0];
  fs.writeFileSync(file, edit(bytes, first));
  return file;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dwswap-round2-'));
  seed = await buildSeed(tmp);
  const store = openStore(copySeed(seed, path.join(tmp, 'export-source')));
  try {
    good = fs.readFileSync(await store.exportRun(seed.runs.baseline, path.join(tmp, 'good')));
  } finally {
    store.close();
  }
  data.oneClass = binary('one-class', (batches) => batches.forEach((f) => relabel(f, () => 0)));
  data.extraName = binary('extra-name', (_b, dir) => fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'a\nb\nc\n'));
  data.labelOut = binary('label-out', (batches) => relabel(batches[0], (i) => (i === 0 ? 5 : i % 2)));
  data.emptyImage = zipWith('empty-image.zip', (zip, first) => zipSync({ ...unzipSync(zip), [first]: new Uint8Array(0) }, { level: 0 }));
  data.zeroLink = makeTinyCifarFolder(path.join(tmp, 'data'), { ...TINY_DATA, name: 'zero-link' });
  const firstA = path.join(data.zeroLink, 'train', 'a', fs.readdirSync(path.join(data.zeroLink, 'train', 'a')).sort()[0]);
  fs.rmSync(firstA);
  fs.symlinkSync('/dev/zero', firstA);
  data.hugeImage = zipWith('huge-image.zip', (zip, first) => lieAboutSize(zip, first, 0xfffffff0));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A case's surroundings: its copy of the data folder and a folder outside it to write into. */
interface Ctx {
  dataDir: string;
  out: string;
  /** Writes `bytes` as a file in `out`; returns its path. */
  file(name: string, bytes: Uint8Array | string): string;
}

interface Row {
  what: string;
  request: (c: Ctx) => { method: HostMethod; args: unknown[] };
  code?: ApiError['code'];
  field?: string;
  message: RegExp;
}

const archive = (c: Ctx, name: string, change: Parameters<typeof doctor>[1]) => c.file(name, doctor(good, change));
const start = (extra: object, dataset?: string) => ({ method: 'startRun' as const, args: [okConfig(dataset ?? seed.dataset, extra)] });
const exportTo = (dest: string, ...more: unknown[]) => ({ method: 'exportRun' as const, args: [seed.runs.baseline, dest, ...more] });
const ESC_NAME = 'evil\x1b]0;pwned\x07\x1b[2J';

const WRITES: Row[] = [
  { what: 'export onto a FIFO', request: (c) => exportTo(mkfifo(path.join(c.out, 'pipe.dwrun'))), field: 'path', message: /pipe\.dwrun exists and is not a regular file/ },
  { what: 'export through a symbolic link', request: (c) => (fs.symlinkSync(c.file('victim.txt', 'keep me'), path.join(c.out, 'link.dwrun')), exportTo(path.join(c.out, 'link.dwrun'))), field: 'path', message: /link\.dwrun is a symbolic link; the workbench never writes through links/ },
  { what: 'export onto a link to /dev/null', request: (c) => (fs.symlinkSync('/dev/null', path.join(c.out, 'null.dwrun')), exportTo(path.join(c.out, 'null.dwrun'))), field: 'path', message: /null\.dwrun exists and is not a regular file/ },
  { what: 'export over an existing file, no overwrite', request: (c) => exportTo(c.file('old.dwrun', 'old')), code: 'conflict', field: 'path', message: /old\.dwrun already exists; choose another name, or confirm replacing it/ },
  { what: 'export into a run folder of the store', request: (c) => exportTo(path.join(c.dataDir, 'runs', seed.runs.baseline, 'x.dwrun')), field: 'path', message: /is inside the run store's own folders/ },
  { what: 'export through a linked folder into the store', request: (c) => (fs.symlinkSync(path.join(c.dataDir, 'runs'), path.join(c.out, 'into')), exportTo(path.join(c.out, 'into', 'x.dwrun'))), field: 'path', message: /is inside the run store's own folders/ },
  { what: 'export with an overwrite flag that is not a boolean', request: (c) => exportTo(path.join(c.out, 'x.dwrun'), 'yes'), field: 'overwrite', message: /^overwrite must be true or false$/ },
];

const READS: Row[] = [
  { what: 'import /dev/zero', request: () => ({ method: 'importRun', args: ['/dev/zero'] }), field: 'path', message: /^\/dev\/zero is a device, not a regular file; give the \.dwrun file itself$/ },
  { what: 'import a FIFO', request: (c) => ({ method: 'importRun', args: [mkfifo(path.join(c.out, 'pipe.dwrun'))] }), field: 'path', message: /pipe\.dwrun is a named pipe \(FIFO\), not a regular file/ },
  { what: 'import an archive with an extra file', request: (c) => ({ method: 'importRun', args: [archive(c, 'extra.dwrun', (e) => (e['files/extra.iso'] = new Uint8Array(4096)))] }), field: 'path', message: /^unexpected entry in archive: files\/extra\.iso; a workbench export holds only/ },
  { what: 'import an archive whose weights declare 3 GiB', request: (c) => ({ method: 'importRun', args: [c.file('big.dwrun', lieAboutSize(good, 'files/model/weights.bin', 3 * GIB))] }), field: 'path', message: /files\/model\/weights\.bin declares 3\.0 GiB, more than the 1\.0 GiB such a file may be/ },
  { what: 'import an archive with altered weights', request: (c) => ({ method: 'importRun', args: [archive(c, 'altered.dwrun', (e) => e['files/model/weights.bin'].fill(7, 0, 64))] }), field: 'path', message: /is damaged or altered \(checksum of files\/model\/weights\.bin does not match\); nothing was imported/ },
  { what: 'import an archive with a file not in its manifest', request: (c) => ({ method: 'importRun', args: [archive(c, 'unlisted.dwrun', (e) => (e['files/model/extra.json'] = strToU8('{}')))] }), field: 'path', message: /manifest\.json lists \d+ files but the archive holds \d+/ },
  { what: 'start on a zip whose image declares 4 GiB', request: () => start({}, data.hugeImage), field: 'data.path', message: /declares 4\.0 GiB, more than the 256 KiB a 32x32 image may take/ },
  { what: 'start on an image folder whose image links to /dev/zero', request: () => start({}, data.zeroLink), field: 'data.path', message: /train\/a\/0000\.jpg is a device, not a regular file; give the 32x32 image itself .* — replace or remove that file$/ },
  { what: 'start on a FIFO as dataset', request: (c) => start({}, mkfifo(path.join(c.out, 'data.zip'))), field: 'data.path', message: /is not a regular file or folder \(a pipe, socket or device\)/ },
];

const DATA: Row[] = [
  { what: 'CIFAR batches holding one class', request: () => start({}, data.oneClass), field: 'data.path', message: /the train batches in .* hold no images of 1 of the 2 classes in batches\.meta\.txt \(b\)/ },
  { what: 'batches.meta.txt with one name too many', request: () => start({}, data.extraName), field: 'data.path', message: /hold no images of 1 of the 3 classes in batches\.meta\.txt \(c\)/ },
  { what: 'a label past the last class', request: () => start({}, data.labelOut), field: 'data.path', message: /record 0 of .*data_batch_1\.bin has label 5 but there are 2 classes/ },
  { what: 'a 0-byte image', request: () => start({}, data.emptyImage), field: 'data.path', message: /^image .*train\/a\/.*\.jpg in .*empty-image\.zip is empty \(0 bytes\) — replace or remove that file$/ },
];

const SETTINGS: Row[] = [
  { what: 'a block swapped twice', request: () => start({ protocol: 'manual', model: { widthDivisor: 64, swapped: ['conv2_1', 'conv2_block1'] } }), field: 'model.swapped', message: /^block conv2_1 is listed twice in model\.swapped; list each block once$/ },
  { what: 'a baseline run for the baseline protocol (the schema\'s union)', request: () => start({ baselineRunId: seed.runs.baseline }), field: 'baselineRunId', message: /^baselineRunId does not apply to the baseline protocol/ },
  { what: 'a width other than the baseline run\'s', request: () => start({ protocol: 'ours', baselineRunId: seed.runs.baseline, model: { widthDivisor: 32 } }), field: 'model.widthDivisor', message: /^baseline run 'good baseline' has width 1\/64, which the run takes from it, but 1\/32 was asked; leave model\.widthDivisor out or set it to 64$/ },
  { what: 'epochs 1e308', request: () => start({ epochs: 1e308 }), field: 'epochs', message: /^epochs must be at most 10000$/ },
  { what: 'a seed past the safe integers', request: () => start({ seed: 1e308 }), field: 'seed', message: /^seed must be at most 9007199254740991$/ },
  { what: 'a width of 0', request: () => start({ model: { widthDivisor: 0 } }), field: 'model.widthDivisor', message: /^model\.widthDivisor must be at least 1$/ },
  { what: 'a run name with an escape sequence', request: () => ({ method: 'renameRun', args: [seed.runs.baseline, ESC_NAME] }), message: /^a run name must not contain control characters/ },
  { what: 'a tag with an escape sequence', request: () => ({ method: 'tagRun', args: [seed.runs.baseline, ['ok', '\x1b[31mred']] }), message: /^a tag must not contain control characters/ },
  { what: 'an imported run name with an escape sequence', request: (c) => ({ method: 'importRun', args: [archive(c, 'esc.dwrun', (_e, r) => (r.name = ESC_NAME))] }), field: 'path', message: /run\.json in .*esc\.dwrun: a run name must not contain control characters/ },
];

let cases = 0;
function context(): Ctx {
  const n = ++cases;
  const out = path.join(tmp, `out-${n}`);
  fs.mkdirSync(out);
  const file = (name: string, bytes: Uint8Array | string) => (fs.writeFileSync(path.join(out, name), bytes), path.join(out, name));
  return { dataDir: copySeed(seed, path.join(tmp, `case-${n}`)), out, file };
}

describe.each([
  ['writes where they must not go', WRITES],
  ['reads without bounds', READS],
  ['degenerate data', DATA],
  ['settings that are silently odd, and their messages', SETTINGS],
] as const)('%s', (_title, rows) => {
  it.each(rows.map((r) => [r.what, r] as const))('%s: refused, nothing changed', async (_what, row) => {
    const c = context();
    const { method, args } = row.request(c);
    const host = await createHost({ dataDir: c.dataDir, memoryBytes: GIB });
    try {
      const before = { runs: await runState(host), files: fileFingerprint(c.dataDir), out: fileFingerprint(c.out) };
      const error = await refusalOf(host, method, ...args);
      expect(error, 'refused').not.toBeNull();
      expect(error!.code).toBe(row.code ?? 'bad-input');
      if (row.field) expect(error!.field, 'names the field').toBe(row.field);
      expect(error!.message).toMatch(row.message);
      const after = { runs: await runState(host), files: fileFingerprint(c.dataDir), out: fileFingerprint(c.out) };
      expect(after, 'nothing saved, nor the file aimed at, was touched').toEqual(before);
    } finally {
      await host.close();
    }
  });
});

describe('what is allowed still works', () => {
  it('adds .dwrun when missing, and replaces a regular file only with overwrite', async () => {
    const c = context();
    const host = await createHost({ dataDir: c.dataDir, memoryBytes: GIB });
    try {
      const plain = path.join(c.out, 'plain');
      expect(await host.exportRun(seed.runs.baseline, plain)).toEqual({ path: `${plain}.dwrun` });
      expect(fs.existsSync(plain), 'no file without the suffix').toBe(false);
      const old = c.file('old.dwrun', 'old');
      expect(await host.exportRun(seed.runs.baseline, old, true)).toEqual({ path: old });
      expect(fs.readFileSync(old).equals(fs.readFileSync(`${plain}.dwrun`)), 'same archive, whole').toBe(true);
    } finally {
      await host.close();
    }
  });
});

describe('the same refusals through the CLI', () => {
  const slot = limiter(2);
  const ROWS: [string, (c: Ctx) => string[], RegExp][] = [
    ['export onto a FIFO', (c) => ['export', seed.runs.baseline, mkfifo(path.join(c.out, 'p.dwrun'))], /p\.dwrun exists and is not a regular file/],
    ['export over a file without --force', (c) => ['export', seed.runs.baseline, c.file('old.dwrun', 'old')], /old\.dwrun already exists; .*dwswap export --force/],
    ['import /dev/zero', () => ['import', '/dev/zero'], /^\/dev\/zero is a device, not a regular file/],
    ['--swap conv2_1,conv2_1', () => ['train', '--protocol', 'manual', '--swap', 'conv2_1,conv2_1', '--data', seed.dataset], /^block 'conv2_1' is listed twice in --swap; list each block once$/],
    ['--epochs 1e308', () => ['train', '--epochs', '1e308', '--data', seed.dataset, '--width', '64'], /^epochs must be at most 10000$/],
  ];
  it.concurrent.for(ROWS)('%s: one line, exit 2, nothing changed', async ([, args, message], { expect }) => {
    const c = context();
    const argv = ['--store', c.dataDir, ...args(c)];
    const before = { store: await folderState(c.dataDir), out: fileFingerprint(c.out) };
    const r = await slot(() => runCli(argv, { env: { DWSWAP_MEMORY_MB: '1024' } }));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^dwswap: error: [^\n]+\n$/);
    expect(r.stderr.slice('dwswap: error: '.length, -1)).toMatch(message);
    expect({ store: await folderState(c.dataDir), out: fileFingerprint(c.out) }).toEqual(before);
  });

  it('export --force replaces a regular file', async () => {
    const c = context();
    const old = c.file('old.dwrun', 'old');
    const r = await slot(() => runCli(['--store', c.dataDir, 'export', seed.runs.baseline, old, '--force']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(old);
    expect(unzipSync(fs.readFileSync(old))['run.json'], 'a whole archive').toBeDefined();
  });
});

describe('nothing a client sends stalls the host for the others', () => {
  it('answers a second WebSocket client while the first sends hostile input', async () => {
    const c = context();
    const host = await createHost({ dataDir: c.dataDir, memoryBytes: GIB });
    const staticDir = path.join(c.out, 'renderer');
    fs.mkdirSync(staticDir);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
    const served = await serveHost(host, { staticDir, token: 'round-two-token-0123456789' });
    const url = `ws://127.0.0.1:${served.port}/api?token=round-two-token-0123456789`;
    const [hostile, other] = (await Promise.all([connect(url), connect(url)])) as WebSocket[];
    try {
      const answers = (ws: WebSocket, n: number) =>
        new Promise<Map<number, WireMessage>>((resolve) => {
          const got = new Map<number, WireMessage>();
          ws.on('message', (m: Buffer) => {
            const msg = JSON.parse(m.toString()) as WireMessage;
            if ('id' in msg) got.set(msg.id, msg);
            if (got.size === n) resolve(got);
          });
        });
      const fifo = mkfifo(path.join(c.out, 'pipe.dwrun'));
      const attacks: [string, unknown[]][] = [
        ['importRun', ['/dev/zero']],
        ['importRun', [fifo]],
        ['checkDataset', [fifo]],
        ['exportRun', [seed.runs.baseline, fifo]],
        ['startRun', [okConfig(mkfifo(path.join(c.out, 'data.zip')))]],
      ];
      const hostileDone = answers(hostile, attacks.length);
      attacks.forEach(([method, args], i) => hostile.send(JSON.stringify({ id: i + 1, method, args })));
      const otherDone = answers(other, 1);
      other.send(JSON.stringify({ id: 99, method: 'listRuns', args: [] }));
      const answered = await otherDone;
      expect(answered.get(99)).toMatchObject({ ok: true });
      const refused = [...(await hostileDone).values()].map((a) => ('ok' in a ? (a.ok ? (a.result as { ok: boolean }).ok : false) : null));
      expect(refused, 'each hostile request answered: refused (checkDataset answers ok: false)').toEqual([false, false, false, false, false]);
    } finally {
      hostile.close();
      other.close();
      await served.close();
      await host.close();
    }
  });
});
