/**
 * Run archives through the host's contract (dispatch, as every transport calls it): a finished run
 * trained by the real engine (1 epoch, 1/16 width, cpu) is exported to a `.dwrun` file by one host
 * and imported by a second host on another data folder, and comes back equal with its model
 * files; bad paths are refused with bad-input on field `path`, and nothing is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, HostMethod, RunConfigInput, RunRecord } from '../src-main/contract';
import { createHost, type Host } from '../src-main/host/host';
import { dispatch } from '../src-main/transports/dispatch';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-host-archive-'));
const dataA = path.join(tmp, 'host-a');
const dataB = path.join(tmp, 'host-b');
const out = path.join(tmp, 'out');
let a: Host;
let b: Host;
let runId: string;

let nextId = 1;
/** One request through dispatch; resolves with the result, or rejects with the ApiError. */
async function call<T>(host: Host, method: HostMethod, ...args: unknown[]): Promise<T> {
  const r = await dispatch(host, { id: nextId++, method, args });
  if (!r.ok) throw Object.assign(new Error(r.error.message), { api: r.error });
  return r.result as T;
}

/** The ApiError a request is refused with (fails the test when it is answered ok). */
async function refusal(host: Host, method: HostMethod, ...args: unknown[]): Promise<ApiError> {
  const r = await dispatch(host, { id: nextId++, method, args });
  expect(r.ok, `${method}(${JSON.stringify(args)}) is refused`).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.message, 'one line, no stack').not.toMatch(/\n|\s+at \S+ \(/);
  return r.error;
}

/** Every file under `dir` (relative POSIX path -> bytes). */
function filesUnder(dir: string): Record<string, Buffer> {
  const found: Record<string, Buffer> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    found[path.relative(dir, full).split(path.sep).join('/')] = fs.readFileSync(full);
  }
  return found;
}

beforeAll(async () => {
  fs.mkdirSync(out);
  const zip = makeTinyCifarZip(tmp, { perClassTrain: 10, perClassTest: 5 });
  [a, b] = await Promise.all([createHost({ dataDir: dataA }), createHost({ dataDir: dataB })]);
  const config: RunConfigInput = {
    name: 'tiny baseline: 1/16',
    protocol: 'baseline',
    model: { widthDivisor: 16 },
    data: { path: zip },
    epochs: 1,
    batchSize: 20,
    backend: 'cpu',
  };
  ({ id: runId } = await call<{ id: string }>(a, 'startRun', config));

  // While it is queued or running, it cannot be exported.
  const busy = await refusal(a, 'exportRun', runId, path.join(out, 'too-early.dwrun'));
  expect(busy.code).toBe('conflict');
  expect(busy.message).toMatch(/^run 'tiny baseline: 1\/16' is (queued|running); export it once it has finished/);
  expect(fs.existsSync(path.join(out, 'too-early.dwrun')), 'nothing written').toBe(false);

  await a.idle();
  const run = await call<RunRecord>(a, 'getRun', runId);
  expect(run.status, `the tiny baseline finished (${run.statusReason})`).toBe('done');
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('exportRun and importRun through dispatch', () => {
  it('a finished run exported by one host and imported by another comes back equal, with its model files', async () => {
    const original = await call<RunRecord>(a, 'getRun', runId);
    const exported = await call<{ path: string }>(a, 'exportRun', runId, path.join(out, 'tiny'));
    expect(exported.path, '.dwrun is appended').toBe(path.join(out, 'tiny.dwrun'));
    expect(fs.statSync(exported.path).size, 'the archive holds the weights').toBeGreaterThan(10_000);

    const { id } = await call<{ id: string }>(b, 'importRun', exported.path);
    expect(id, 'the archived id is kept where it is free').toBe(runId);
    const copy = await call<RunRecord>(b, 'getRun', id);
    expect(copy.config, 'same configuration').toEqual(original.config);
    expect(copy.final, 'same final metrics').toEqual(original.final);
    expect(copy.final?.epochsTrained).toBe(1);
    expect(copy.epochs, 'same per-epoch metrics').toEqual(original.epochs);
    expect(copy.epochs).toHaveLength(1);
    expect({ name: copy.name, status: copy.status, protocol: copy.protocol }).toEqual({
      name: original.name,
      status: 'done',
      protocol: 'baseline',
    });

    expect(copy.weightsPath, 'the model lives in the second host’s data folder').toBe(
      path.join(dataB, 'runs', id, path.relative(path.join(dataA, 'runs', runId), original.weightsPath!)),
    );
    const models = [filesUnder(original.weightsPath!), filesUnder(copy.weightsPath!)];
    expect(Object.keys(models[0]), 'the model folder has model.json and weights').toContain('model.json');
    expect(models[1], 'the same model files, byte for byte').toEqual(models[0]);
    expect(filesUnder(path.join(dataB, 'runs', id)), 'the whole run folder came across').toEqual(
      filesUnder(path.join(dataA, 'runs', runId)),
    );

    const again = await call<{ id: string }>(b, 'importRun', exported.path);
    expect(again.id, 'importing it twice gives the second copy a new id').not.toBe(runId);
    expect((await call<RunRecord>(b, 'getRun', again.id)).final).toEqual(original.final);
  });

  it('the default destination, <dataDir>/exports, is created on first use; an existing archive is replaced only with overwrite', async () => {
    const file = path.join(dataA, 'exports', 'tiny.dwrun');
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    expect(await call(a, 'exportRun', runId, file)).toEqual({ path: file });
    fs.writeFileSync(file, 'old');
    const refused = await refusal(a, 'exportRun', runId, file);
    expect(refused).toMatchObject({ code: 'conflict', field: 'path' });
    expect(refused.message).toMatch(/already exists; choose another name, or confirm replacing it/);
    expect(fs.readFileSync(file, 'utf8'), 'the existing file is untouched').toBe('old');
    expect(await call(a, 'exportRun', runId, file, true)).toEqual({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    const upper = path.join(out, 'UPPER.DWRUN');
    expect(await call(a, 'exportRun', runId, upper), 'any case of .dwrun counts').toEqual({ path: upper });
  });

  const badExports: [string, () => string, RegExp][] = [
    [
      'a relative path',
      () => 'exports/tiny.dwrun',
      /^exports\/tiny\.dwrun is not an absolute path; give the full path on the host's machine, e.g. \/.*\/exports\/run\.dwrun$/,
    ],
    ['an empty path', () => '', /^path must be a non-empty string/],
    ['an existing folder', () => out, /names a folder, not a file; give a file path, e.g. .*\/out\/run\.dwrun$/],
    ['a path ending in a separator', () => `${out}/`, /names a folder, not a file/],
    [
      'a folder once .dwrun is appended',
      () => path.join(out, 'dir'),
      /dir\.dwrun is a folder; choose another file name$/,
    ],
    [
      'a missing parent folder',
      () => path.join(out, 'missing', 'tiny.dwrun'),
      /^folder .*\/out\/missing does not exist; create it first or choose an existing folder$/,
    ],
    [
      'a file as the parent folder',
      () => path.join(out, 'tiny.dwrun', 'x.dwrun'),
      /^folder .*\/out\/tiny\.dwrun is not a folder; create it first/,
    ],
    ['a path with a newline', () => `${out}/a\nb.dwrun`, /^path must not contain control characters/],
    [
      'a path inside the run store',
      () => path.join(dataA, 'runs', runId, 'x.dwrun'),
      /is inside the run store's own folders; choose another folder/,
    ],
  ];

  it.each(badExports)(
    'exportRun refuses %s: bad-input on field path, nothing written',
    async (_what, dest, message) => {
      fs.mkdirSync(path.join(out, 'dir.dwrun'), { recursive: true });
      fs.writeFileSync(path.join(out, 'tiny.dwrun'), 'placeholder');
      const before = Object.keys(filesUnder(tmp)).sort();
      const e = await refusal(a, 'exportRun', runId, dest());
      expect(e).toMatchObject({ code: 'bad-input', field: 'path' });
      expect(e.message).toMatch(message);
      expect(Object.keys(filesUnder(tmp)).sort(), 'no file written or removed').toEqual(before);
    },
  );

  it('exportRun refuses the run store reached through a link', async () => {
    const link = path.join(out, 'store-link');
    fs.symlinkSync(path.join(dataA, 'runs', runId), link);
    const e = await refusal(a, 'exportRun', runId, path.join(link, 'x.dwrun'));
    expect(e).toMatchObject({ code: 'bad-input', field: 'path' });
    expect(e.message).toMatch(/store-link\/x\.dwrun is inside the run store's own folders/);
    expect(fs.existsSync(path.join(dataA, 'runs', runId, 'x.dwrun'))).toBe(false);
    fs.rmSync(link);
  });

  it('exportRun of an unknown run is not-found; a path that is not a string is bad-input on path', async () => {
    expect(await refusal(a, 'exportRun', 'no-such-run', path.join(out, 'x.dwrun'))).toMatchObject({
      code: 'not-found',
    });
    expect(await refusal(a, 'exportRun', runId, 42)).toMatchObject({ code: 'bad-input', field: 'path' });
  });

  it('importRun refuses a relative path, a folder, a missing file and a file that is not an archive, naming path', async () => {
    const runsBefore = (await call<unknown[]>(b, 'listRuns')).length;
    const notArchive = path.join(out, 'notes.dwrun');
    fs.writeFileSync(notArchive, 'not a zip');
    const cases: [unknown, ApiError['code'], RegExp][] = [
      ['tiny.dwrun', 'bad-input', /^tiny\.dwrun is not an absolute path/],
      [out, 'bad-input', /out is a folder; give the \.dwrun file inside it$/],
      [path.join(out, 'absent.dwrun'), 'not-found', /^no file at .*absent\.dwrun; check the path of the \.dwrun file$/],
      [notArchive, 'bad-input', /notes\.dwrun is not a \.dwrun archive \(not a readable zip\)/],
      [null, 'bad-input', /^path must be a non-empty string/],
    ];
    for (const [p, code, message] of cases) {
      const e = await refusal(b, 'importRun', p);
      expect(e, String(p)).toMatchObject({ code, field: 'path' });
      expect(e.message).toMatch(message);
    }
    expect(await call<unknown[]>(b, 'listRuns'), 'no run was added').toHaveLength(runsBefore);
  });
});
