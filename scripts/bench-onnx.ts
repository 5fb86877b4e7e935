/**
 * ONNX benchmark at full width: the trained ResNet-50 in ../shared/models/resnet50-cifar10
 * (classical) and the same with all 16 blocks swapped (SVD initialisation, r = 1, no fine-tuning),
 * exported to ONNX (export + check timed), timed in ONNX Runtime under the alternating protocol
 * (batch 1 and 64, 1 thread) with the per-block dense vs separable latency, together with the peer's PyTorch-exported pair when python3-torch can
 * export it; then both exported files evaluated on the test set through ONNX Runtime.
 * Writes docs/results/bench-onnx.json.
 *
 *   npm run bench:onnx [-- --model DIR --data ZIP --test-per-class N --repeats N --batches 1,64 --out FILE]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BLOCK_NAMES, InferenceTimingSchema } from '../src-main/contract';
import { selectBackend } from '../src-main/engine/backend';
import { loadCifar10 } from '../src-main/engine/data';
import { loadNetFromDir } from '../src-main/engine/modelio';
import { checkExport, fixedBatch } from '../src-main/engine/onnx/check';
import { evaluateOnnx, inputLayout, openOnnxFile } from '../src-main/engine/onnx/evaluate';
import { exportOnnx } from '../src-main/engine/onnx/export';
import { measureBlockLatency } from '../src-main/engine/onnx/latency';
import { closeSession, ortVersion, runBatch, type OrtSession } from '../src-main/engine/onnx/runtime';
import { swapBlocks } from '../src-main/engine/swap';
import { timeAlternated, type Subject } from '../src-main/engine/timing';
import { machineDescription } from '../src-main/host/deploy';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '../shared/models/resnet50-cifar10' },
    data: { type: 'string', default: '../shared/data/cifar10-jpeg-small.zip' },
    'test-per-class': { type: 'string', default: '0' },
    repeats: { type: 'string', default: '7' },
    batches: { type: 'string', default: '1,64' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string', default: 'docs/results/bench-onnx.json' },
  },
});
const protocol = InferenceTimingSchema.parse({ batches: values.batches.split(',').map(Number), repeats: Number(values.repeats), threads: Number(values.threads), provider: 'cpu', engine: false });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-onnx-'));
const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const loadBefore = load();

await selectBackend(process.env.DWSWAP_BACKEND === 'cpu' ? 'cpu' : 'auto');
log(`engine backend ${tf.getBackend()}; loading ${values.model}`);

/** Exports and checks a model; returns the file and how long export + check took. */
async function exportChecked(model: tf.LayersModel, name: string) {
  const t0 = performance.now();
  const onnx = exportOnnx(model, 'bench');
  const exportSeconds = (performance.now() - t0) / 1000;
  const check = await checkExport(model, onnx.bytes, onnx.inputSize);
  const seconds = (performance.now() - t0) / 1000;
  const file = path.join(work, `${name}.onnx`);
  fs.writeFileSync(file, onnx.bytes);
  log(`${name}: export ${exportSeconds.toFixed(1)} s, export + check ${seconds.toFixed(1)} s, max rel error ${check.maxRelError.toExponential(2)}`);
  return { file, bytes: onnx.bytes.byteLength, exportSeconds, exportAndCheckSeconds: seconds, check, foldedBatchNorms: onnx.foldedBatchNorms };
}

const tLoad = performance.now();
const classical = await loadNetFromDir(values.model);
const loadSeconds = (performance.now() - tLoad) / 1000;
const exported: Record<string, Awaited<ReturnType<typeof exportChecked>>> = {};
exported.classical = await exportChecked(classical.model, 'classical');
const tSwap = performance.now();
const swapped = (await swapBlocks(classical, [...BLOCK_NAMES], { depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false }, 1)).net;
const swapSeconds = (performance.now() - tSwap) / 1000;
exported.swapped = await exportChecked(swapped.model, 'swapped');
const params = { classical: classical.model.countParams(), swapped: swapped.model.countParams() };
classical.model.dispose();
swapped.model.dispose();

/** The peer's PyTorch-exported pair, or why it was skipped. */
function peerFiles(): { files: Record<string, string> } | { skipped: string } {
  const script = path.resolve('../shared/peer/export_onnx.py');
  if (!fs.existsSync(script)) return { skipped: `peer skipped: ${script} not found` };
  try {
    execFileSync('/usr/bin/python3', [script, work, '1'], { cwd: path.dirname(script), stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    return { files: { 'peer classical (PyTorch export)': path.join(work, 'rn50_w1_classical.onnx'), 'peer swapped (PyTorch export)': path.join(work, 'rn50_w1_swapped.onnx') } };
  } catch (e) {
    return { skipped: `peer skipped: python3-torch could not export (${String((e as Error).message).split('\n')[0].slice(0, 160)})` };
  }
}
const peer = peerFiles();
log('skipped' in peer ? peer.skipped : 'peer pair exported');

const files: Record<string, string> = { 'ours classical': exported.classical.file, 'ours all-16-swapped (SVD)': exported.swapped.file, ...('files' in peer ? peer.files : {}) };
const sessions: Record<string, { s: OrtSession; layout: 'nhwc' | 'nchw' }> = {};
for (const [id, file] of Object.entries(files)) {
  const s = await openOnnxFile(file, { threads: protocol.threads, provider: 'cpu' });
  sessions[id] = { s, layout: inputLayout(s, file) };
}

const timing: Record<string, Record<number, unknown>> = Object.fromEntries(Object.keys(files).map((id) => [id, {}]));
for (const batch of protocol.batches) {
  const x = fixedBatch(batch, 32);
  const nhwc = x.dataSync() as Float32Array;
  x.dispose();
  const subjects: Subject[] = Object.entries(sessions).map(([id, { s, layout }]) => {
    const dims = layout === 'nhwc' ? [batch, 32, 32, 3] : [batch, 3, 32, 32];
    return { id, run: async () => void (await runBatch(s, nhwc, dims)) }; // same values; the layout only names the axes
  });
  log(`timing batch ${batch} (${subjects.length} models alternated)...`);
  for (const t of await timeAlternated(subjects, { batch, repeats: protocol.repeats, warmupTolerance: protocol.warmupTolerance, maxWarmupRounds: protocol.maxWarmupRounds })) {
    timing[t.id][batch] = { msPerImage: t.msPerImage, warmupRounds: t.warmupRounds, stable: t.stable, runsPerMeasurement: t.runsPerMeasurement };
    log(`  ${t.id}: ${t.msPerImage.median.toFixed(3)} ms/image (min ${t.msPerImage.min.toFixed(3)}, max ${t.msPerImage.max.toFixed(3)})`);
  }
}
for (const { s } of Object.values(sessions)) await closeSession(s);

log('per-block latency (dense 3x3 vs DW 3x3 + 1x1, full width, batch 64, 1 thread)...');
const latency = await measureBlockLatency({ batch: 64, widthDivisor: 1, inputSize: 32, repeats: 5, threads: protocol.threads, provider: 'cpu' });
const blockLatency = latency.blocks
  .filter((b, i, all) => all.findIndex((o) => o.spatial === b.spatial) === i)
  .map((b) => ({ blocks: `conv${b.name[4]}_*`, channels: b.inChannels, spatial: b.spatial, denseMs: b.dense.median, separableMs: b.separable.median, speedup: b.speedup, denseSpread: [b.dense.min, b.dense.max], separableSpread: [b.separable.min, b.separable.max] }));
for (const b of blockLatency) log(`  ${b.blocks}: ${b.denseMs.toFixed(4)} vs ${b.separableMs.toFixed(4)} ms/image (${b.speedup.toFixed(2)}x)`);

const median = (id: string, b: number) => (timing[id][b] as { msPerImage: { median: number } }).msPerImage.median;
const speedups = Object.fromEntries(protocol.batches.map((b) => [b, {
  ours: median('ours classical', b) / median('ours all-16-swapped (SVD)', b),
  ...('files' in peer ? { peer: median('peer classical (PyTorch export)', b) / median('peer swapped (PyTorch export)', b) } : {}),
}]));

log(`evaluating on ${values.data} (test split${values['test-per-class'] === '0' ? '' : `, ${values['test-per-class']} per class`})...`);
const cifar = await loadCifar10(path.resolve(values.data), { trainPerClass: 1, testPerClass: Number(values['test-per-class']), cacheDir: path.resolve('.cache/bench-onnx') });
const accuracy: Record<string, unknown> = {};
for (const id of ['classical', 'swapped'] as const) {
  const t0 = performance.now();
  const r = await evaluateOnnx(exported[id].file, cifar.test, cifar.classes.length, { threads: 0, provider: 'cpu' });
  accuracy[id] = { testAcc: r.testAcc, images: r.images, threads: r.threads, seconds: (performance.now() - t0) / 1000 };
  log(`  ${id}: test accuracy ${r.testAcc.toFixed(4)} on ${r.images} images`);
}

const script = process.env.npm_lifecycle_event;
const args = process.argv.slice(2).join(' ');
const doc = {
  command: script ? `npm run ${script}${args ? ` -- ${args}` : ''}` : `tsx scripts/bench-onnx.ts ${args}`.trim(),
  created: new Date().toISOString(),
  machine: machineDescription(),
  loadAverage: { before: loadBefore, after: load() },
  versions: { node: process.version, onnxruntime: ortVersion(), tfjs: tf.version.tfjs },
  engineBackend: tf.getBackend(),
  executionProvider: 'cpu',
  threads: protocol.threads,
  model: { dir: values.model, params, loadSeconds, swapSeconds, swap: 'all 16 blocks, SVD initialisation, depth multiplier 1, no BatchNorm between, no fine-tuning' },
  export: exported,
  protocol: { ...protocol, note: 'warm-up until two consecutive medians agree within warmupTolerance; all models alternated, order rotated each repeat; ms per image' },
  peer: 'files' in peer ? { command: `/usr/bin/python3 ../shared/peer/export_onnx.py DIR 1`, note: 'random weights (torch.manual_seed(0)), NCHW input; timed with the same timer in the same run' } : peer.skipped,
  timing,
  speedupSwappedOverClassical: speedups,
  blockLatency: { note: 'one 3x3 conv per stage shape (the blocks of a stage share it), ms per image at batch 64, medians of 5 alternated repeats', stages: blockLatency },
  targets: { speedupAtBatch64: 1.5, exportAndCheckSeconds: 30 },
  accuracy: { dataset: path.resolve(values.data), testPerClass: Number(values['test-per-class']), reference: 'PyTorch, same weights: 0.7351 on the 10,000 test images (../shared/models/README.md)', ...accuracy },
};
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
fs.rmSync(work, { recursive: true, force: true });
log(`wrote ${values.out}`);
