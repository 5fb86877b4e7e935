/**
 * Deployment through the host's contract (dispatch, as every transport calls it) on a tiny run
 * trained by the real engine (1 epoch, 1/16 width, cpu): ONNX export checked and written, the file's
 * test accuracy through ONNX Runtime equal to the engine's on the same images, corrupt and foreign
 * files refused with one line (host and CLI), runs timed alternately with the timing stored in
 * their final metrics and shown by compare, and the per-block latency table cached per machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, BlockLatencyReport, HostMethod, InferenceTiming, OnnxEvalResult, OnnxExportResult, RunRecord } from '../src-main/contract';
import { exportOnnx } from '../src-main/engine/onnx/export';
import { convGraph } from '../src-main/engine/onnx/latency';
import { closeSession, openSession, runBatch } from '../src-main/engine/onnx/runtime';
import { decodeModel, encodeModel } from '../src-main/engine/onnx/proto';
import { buildResNet50 } from '../src-main/engine/resnet';
import { createHost, type Host } from '../src-main/host/host';
import { comparisonMarkdown } from '../src-main/store';
import { dispatch } from '../src-main/transports/dispatch';
import { makeTinyCifarZip } from './helpers/tiny-cifar';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'dwswap.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-onnx-'));
const dataDir = path.join(tmp, 'data');
const out = path.join(tmp, 'out');
let host: Host;
let zip: string;
let baseline: string;
let swapped: string;

let nextId = 1;
async function call<T>(method: HostMethod, ...args: unknown[]): Promise<T> {
  const r = await dispatch(host, { id: nextId++, method, args });
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.result as T;
}

async function refusal(method: HostMethod, ...args: unknown[]): Promise<ApiError> {
  const r = await dispatch(host, { id: nextId++, method, args });
  expect(r.ok, `${method} is refused`).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.message, 'one line, no stack').not.toMatch(/\n|\s+at \S+ \(/);
  return r.error;
}

beforeAll(async () => {
  fs.mkdirSync(out);
  zip = makeTinyCifarZip(tmp, { perClassTrain: 6, perClassTest: 3 });
  host = await createHost({ dataDir });
  const common = { data: { path: zip }, epochs: 1, batchSize: 20, backend: 'cpu' as const };
  ({ id: baseline } = await call<{ id: string }>('startRun', { ...common, name: 'tiny baseline', protocol: 'baseline', model: { widthDivisor: 16 } }));
  await host.idle();
  ({ id: swapped } = await call<{ id: string }>('startRun', { ...common, name: 'tiny swapped', protocol: 'ours', baselineRunId: baseline }));
  await host.idle();
  for (const id of [baseline, swapped]) expect((await call<RunRecord>('getRun', id)).status).toBe('done');
}, 180_000);

afterAll(async () => {
  await host?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('exportOnnx and evalOnnx', () => {
  it('writes a checked ONNX file whose test accuracy in ONNX Runtime is the engine\'s', async () => {
    const file = path.join(out, 'swapped');
    const r = await call<OnnxExportResult>('exportOnnx', swapped, file);
    expect(r.path).toBe(`${file}.onnx`);
    expect(fs.statSync(r.path).size).toBe(r.bytes);
    expect(r.check.passed).toBe(true);
    expect(r.check.maxRelError).toBeLessThanOrEqual(1e-4);
    expect(r.opset).toBe(13);
    const run = await call<RunRecord>('getRun', swapped);
    const acc = await call<OnnxEvalResult>('evalOnnx', r.path, { path: zip });
    expect(acc.images).toBe(30);
    expect(acc.testAcc, 'same argmax on the same test images').toBe(run.final!.testAcc);
    expect(acc.perClassAcc).toHaveLength(10);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp') || f.startsWith('.')), 'no temporary files left').toEqual([]);
  }, 60_000);

  it('an NCHW-input file (as PyTorch exports) scores the same as the NHWC file it wraps', async () => {
    const nhwc = (await call<OnnxExportResult>('exportOnnx', swapped, path.join(out, 'layout-nhwc.onnx'))).path;
    const doc = decodeModel(fs.readFileSync(nhwc)) as { graph: { node: object[]; input: { name: string; type: { tensorType: { shape: { dim: object[] } } } }[] } };
    const input = doc.graph.input[0];
    doc.graph.node.unshift({ input: ['x_nchw'], output: [input.name], name: 'to_nhwc', opType: 'Transpose', attribute: [{ name: 'perm', type: 7, ints: [0, 2, 3, 1] }] });
    doc.graph.input[0] = { ...input, name: 'x_nchw', type: { tensorType: { ...input.type.tensorType, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 32 }, { dimValue: 32 }] } } } };
    const nchw = path.join(out, 'layout-nchw.onnx');
    fs.writeFileSync(nchw, encodeModel(doc));
    const [a, b] = [await call<OnnxEvalResult>('evalOnnx', nhwc, { path: zip }), await call<OnnxEvalResult>('evalOnnx', nchw, { path: zip })];
    expect(b.perClassAcc).toEqual(a.perClassAcc);
    expect(b.testAcc).toBe(a.testAcc);
  }, 60_000);

  it('refuses an unfinished run, a relative path and a folder, writing nothing', async () => {
    expect((await refusal('exportOnnx', 'nope', path.join(out, 'x.onnx'))).code).toBe('not-found');
    expect((await refusal('exportOnnx', baseline, 'rel.onnx')).message).toMatch(/not an absolute path/);
    expect((await refusal('exportOnnx', baseline, out + path.sep)).message).toMatch(/names a folder/);
    expect(fs.existsSync(path.join(out, 'x.onnx'))).toBe(false);
  });

  it('gives one clear line for a truncated, a missing, a foreign and a wrong-class-count file', async () => {
    const good = (await call<OnnxExportResult>('exportOnnx', baseline, path.join(out, 'base.onnx'))).path;
    const truncated = path.join(out, 'truncated.onnx');
    fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 5000));
    expect((await refusal('evalOnnx', truncated, { path: zip })).message).toMatch(/truncated\.onnx is not a readable ONNX model \(.*\); it may be truncated or not ONNX/);
    expect((await refusal('evalOnnx', path.join(out, 'missing.onnx'), { path: zip })).message).toMatch(/^no ONNX file at/);
    const foreign = path.join(out, 'foreign.onnx');
    fs.writeFileSync(foreign, convGraph(8, 8, 4, false));
    expect((await refusal('evalOnnx', foreign, { path: zip })).message).toMatch(/foreign\.onnx takes 'x' \[batch, 8, 4, 4\] float32; the evaluator needs one float32 image input \(batch, 32, 32, 3\)/);
    await tf.setBackend('cpu');
    const five = buildResNet50({ widthDivisor: 16, classes: 5 }, 1);
    const fiveFile = path.join(out, 'five.onnx');
    fs.writeFileSync(fiveFile, exportOnnx(five, 'test').bytes);
    five.dispose();
    expect((await refusal('evalOnnx', fiveFile, { path: zip })).message).toMatch(/five\.onnx outputs 5 values per image; a classifier of the dataset's 10 classes is needed/);
  }, 60_000);

  it('the CLI prints the same one line with exit code 2', () => {
    const bad = path.join(out, 'cli-bad.onnx');
    fs.writeFileSync(bad, 'not an onnx model at all');
    const r = spawnSync(process.execPath, [CLI, 'eval-onnx', bad, '--data', zip, '--store', path.join(tmp, 'cli-store')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DWSWAP_BACKEND: 'cpu' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('dwswap: error:'))).toHaveLength(1);
    expect(r.stderr).toMatch(/dwswap: error: .*cli-bad\.onnx is not a readable ONNX model/);
  }, 60_000);
});

describe('timeInference', () => {
  it('times both runs alternately in ONNX Runtime and the engine, stores it, and compare shows it', async () => {
    const logs: string[] = [];
    const off = host.onEvent((e) => e.type === 'log' && e.runId === swapped && logs.push(e.message));
    const t = await call<Record<string, InferenceTiming>>('timeInference', [baseline, swapped], { batches: [1, 4], repeats: 5, maxWarmupRounds: 3 });
    off();
    expect(logs.map((l) => l.replace(/\(\d+ s so far\)|in \d+ s/, '…')), 'progress: each phase, then done').toEqual([
      'inference timing 1/4: ONNX Runtime (cpu, 1 thread), batch 1, 2 model(s) alternated …',
      'inference timing 2/4: ONNX Runtime (cpu, 1 thread), batch 4, 2 model(s) alternated …',
      'inference timing 3/4: engine (TF.js cpu), batch 1, 2 model(s) alternated …',
      'inference timing 4/4: engine (TF.js cpu), batch 4, 2 model(s) alternated …',
      'inference timing done …',
    ]);
    for (const id of [baseline, swapped]) {
      const timing = t[id];
      expect(timing.alternatedWith).toEqual([baseline, swapped]);
      expect(timing.onnxruntime).toMatchObject({ runtime: 'onnxruntime', provider: 'cpu', threads: 1 });
      expect(timing.onnxruntime.batches.map((b) => b.batch)).toEqual([1, 4]);
      expect(timing.engine?.batches.map((b) => b.msPerImage.repeats)).toEqual([5, 5]);
      for (const b of [...timing.onnxruntime.batches, ...timing.engine!.batches]) {
        expect(b.msPerImage.min).toBeLessThanOrEqual(b.msPerImage.median);
        expect(b.msPerImage.median).toBeLessThanOrEqual(b.msPerImage.max);
      }
      expect((await call<RunRecord>('getRun', id)).final?.timing, 'stored in the run').toEqual(timing);
    }
    const c = await host.compare([baseline, swapped]);
    expect(c.rows[1].timing).toEqual(t[swapped]);
    const md = comparisonMarkdown(c);
    expect(md).toMatch(/\| tiny swapped \| ONNX Runtime [\d.]+ \(cpu, 1 thread\) \| 4 \| [\d.]+ \| [\d.]+ – [\d.]+/);
    expect(md).toMatch(/\| tiny swapped \| engine \(TF\.js/);
    expect((await refusal('timeInference', [baseline], { repeats: 2 })).message).toMatch(/at least 5 repeats/);
  }, 120_000);
});

describe('latency graphs', () => {
  it('the separable graph at depth multiplier r is depthwise 3x3 (M -> rM, channel c*r + k) then 1x1 + bias, by its definition', async () => {
    const [m, n, side, r] = [3, 5, 4, 2];
    const bytes = convGraph(m, n, side, true, r);
    const doc = decodeModel(bytes) as { graph: { initializer: { name: string; dims: number[]; rawData: Uint8Array }[] } };
    const init = (prefix: string) => {
      const t = doc.graph.initializer.find((i) => i.name.startsWith(prefix))!;
      const raw = Uint8Array.from(t.rawData);
      return { dims: t.dims.map(Number), data: new Float32Array(raw.buffer) };
    };
    const [dw, pw, bias] = [init('dw_W'), init('pw_W'), init('pw_B')];
    expect(dw.dims).toEqual([m * r, 1, 3, 3]);
    expect(pw.dims).toEqual([n, m * r, 1, 1]);
    const x = Float32Array.from({ length: 2 * m * side * side }, (_, i) => Math.sin(i * 0.7));
    const s = await openSession(bytes, { threads: 1, provider: 'cpu' });
    const got = await runBatch(s, x, [2, m, side, side]);
    await closeSession(s);
    await tf.setBackend('cpu');
    const want = tf.tidy(() => {
      const nhwc = tf.transpose(tf.tensor4d(x, [2, m, side, side]), [0, 2, 3, 1]) as tf.Tensor4D;
      // ONNX [c*r + k, 1, h, w] -> TF depthwise filter [h, w, c, k]
      const filter = tf.transpose(tf.tensor4d(dw.data, [m, r, 3, 3]), [2, 3, 0, 1]) as tf.Tensor4D;
      const mid = tf.depthwiseConv2d(nhwc, filter, 1, 'same');
      const point = tf.transpose(tf.tensor4d(pw.data, [n, m * r, 1, 1]), [2, 3, 1, 0]) as tf.Tensor4D;
      const y = tf.add(tf.conv2d(mid, point, 1, 'valid'), tf.tensor1d(bias.data));
      return tf.transpose(y, [0, 3, 1, 2]).dataSync();
    });
    expect(got.length).toBe(2 * n * side * side);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('blockLatency', () => {
  it('times dense vs separable per block at the given width, then answers from the machine cache', async () => {
    const r = await call<BlockLatencyReport>('blockLatency', { widthDivisor: 16 });
    expect(r.cached).toBe(false);
    expect(r.blocks.map((b) => b.label)).toHaveLength(16);
    expect(r.blocks.map((b) => b.spatial)).toEqual([8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 1, 1, 1]);
    expect(r.blocks[0]).toMatchObject({ inChannels: 4, filters: 4 });
    for (const b of r.blocks) expect(b.speedup).toBeCloseTo(b.dense.median / b.separable.median, 10);
    const again = await call<BlockLatencyReport>('blockLatency', { widthDivisor: 16 });
    expect(again.cached).toBe(true);
    expect(again.blocks).toEqual(r.blocks);
    expect((await refusal('blockLatency', { widthDivisor: 0 })).field).toBe('widthDivisor');
  }, 60_000);
});
