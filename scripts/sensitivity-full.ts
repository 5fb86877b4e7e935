/**
 * The study's real size, no training: the full-width ResNet-50 trained on CIFAR-10
 * (../shared/models/resnet50-cifar10, read as `--init-from` reads it) -> the per-block sensitivity
 * table (each block alone at r = 1, 2, 4, SVD init + BatchNorm re-estimation) and all 16 blocks
 * swapped at r = 1 with SVD init + BN re-estimation, on CIFAR-10's test images.
 *
 * That model was trained on all 50,000 training images, so no part of the training set is held out
 * from it: the table is measured on a seeded, stratified SLICE OF THE TEST SET (--images) and the
 * results are reported on the OTHER test images (disjoint; --report-images limits them).
 * Each row also carries the inference time it saves in ONNX Runtime (1 thread, batch 64), from a
 * latency table measured first, as the sensitivity run kind measures it.
 * Full width on the pure-JS cpu backend is slow: the script times a batch first, prints its
 * estimate, and stops there with --estimate-only. Writes docs/results/sensitivity-full.json.
 *
 *   npm run sensitivity:full -- --images 1000 [--budget-params 19730000] [--budget-ms-percent 90] [--report-images N] [--ranks 1,2,4] [--bn-batches 4]
 *        [--batch 32] [--backend auto|cpu|...] [--model DIR] [--data ZIP] [--out FILE] [--estimate-only]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BLOCKS, InferenceTimingSchema, type BackendName } from '../src-main/contract';
import { selectBackend } from '../src-main/engine/backend';
import { loadCifar10, toTensors } from '../src-main/engine/data';
import { findDefaultDataset } from '../src-main/host/default-dataset';
import { stratifiedSplit, subset } from '../src-main/engine/data/split';
import { evaluate } from '../src-main/engine/metrics';
import { loadNetFromDir } from '../src-main/engine/modelio';
import { MAC_COST } from '../src-main/engine/select/cost';
import { BudgetError, planBudget } from '../src-main/engine/select/budget';
import { sensitivityAnalysis, sensitivityCandidates } from '../src-main/engine/select/sensitivity';
import { timeModels } from '../src-main/engine/inference-timing';
import { exportOnnx } from '../src-main/engine/onnx/export';
import { measureLatencyTable } from '../src-main/engine/onnx/latency';
import { inspectModel } from '../src-main/engine/params';
import { swapBlocks } from '../src-main/engine/swap';
import { recalibrateBatchNorm, type TensorData } from '../src-main/engine/train';
import { APP_VERSION } from '../src-main/host/version';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    'report-images': { type: 'string', default: '0' },
    ranks: { type: 'string', default: '1,2,4' },
    'bn-batches': { type: 'string', default: '4' },
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'auto' },
    model: { type: 'string', default: path.resolve('../shared/models/resnet50-cifar10') },
    data: { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'docs/results/sensitivity-full.json' },
    'estimate-only': { type: 'boolean', default: false },
    'budget-params': { type: 'string', default: '19730000' },
    'budget-ms-percent': { type: 'string', default: '90' },
  },
});
const images = Number(values.images);
const reportImages = Number(values['report-images']);
const ranks = values.ranks!.split(',').map(Number);
const bnBatches = Number(values['bn-batches']);
const batch = Number(values.batch);
const seed = Number(values.seed);
const say = (s: string) => process.stderr.write(s);
for (const [name, v] of [['images', images], ['batch', batch]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number >= 1, got ${v}`);
}
if (ranks.some((r) => !Number.isInteger(r) || r < 1 || r > 9)) throw new Error(`--ranks takes whole numbers 1 to 9, e.g. 1,2,4`);

const dataPath = values.data ?? findDefaultDataset();
if (!dataPath) throw new Error('no dataset found; pass --data PATH (a CIFAR-10 zip, folder or cifar-10-batches-bin)');
const backend = await selectBackend(values.backend as BackendName | 'auto');
say(`backend ${backend.chosen} (${backend.device}); loading ${dataPath} and ${values.model}\n`);

// Training images only feed BatchNorm re-estimation: bnBatches x batch of them, evenly over classes.
const cifar = await loadCifar10(dataPath, { trainPerClass: Math.ceil((bnBatches * batch) / 10) + 1 });
const testSplit = stratifiedSplit(cifar.test.labels, images / cifar.test.count, seed);
let reportIdx = testSplit.train;
if (reportImages > 0 && reportImages < reportIdx.length) {
  const rest = subset(cifar.test, reportIdx);
  const pick = stratifiedSplit(rest.labels, reportImages / rest.count, seed + 1).val;
  reportIdx = Int32Array.from(pick, (i) => reportIdx[i]);
}
const train = toTensors(cifar.train, cifar.classes);
const selection = toTensors(subset(cifar.test, testSplit.val), cifar.classes);
const report = toTensors(subset(cifar.test, reportIdx), cifar.classes);
const fullTest = toTensors(cifar.test, cifar.classes);
const budgetParams = Number(values['budget-params']);
const budgetMsPercent = Number(values['budget-ms-percent']);
const base = await loadNetFromDir(values.model!);

/** Seconds per image of a forward pass at `batch`, after a warm-up batch. */
async function secondsPerImage(x: tf.Tensor4D): Promise<number> {
  const n = Math.min(batch, x.shape[0]);
  const run = async () => {
    const y = tf.tidy(() => base.model.predict(x.slice(0, n)) as tf.Tensor);
    await y.data();
    y.dispose();
  };
  await run();
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000 / n;
}

const perImage = await secondsPerImage(selection.x);
const candidates = sensitivityCandidates(base, ranks).todo.length;
const bnImages = Math.min(bnBatches, Math.floor(train.x.shape[0] / batch)) * batch;
// The table, then all 16 on the full test set (baseline, SVD, SVD + BN) and the two budgets (the same three each
// on the reported images), each swapped model re-estimated once; the ONNX Runtime latency table comes on top.
const forwards = selection.x.shape[0] + candidates * (bnImages + selection.x.shape[0]) + 3 * fullTest.x.shape[0] + 6 * report.x.shape[0] + 3 * bnImages;
const estimate = { seconds_per_image: perImage, candidates, image_forwards: forwards, seconds: forwards * perImage * 1.1 };
say(`estimate: ${candidates} candidates, ${forwards} image forwards at ${perImage.toFixed(3)} s/image -> about ${(estimate.seconds / 60).toFixed(1)} min (rough: counts a full forward pass per image and candidate; reusing each block's input activations saves part of that, BN re-estimation in training mode costs a little more)\n`);
if (values['estimate-only']) process.exit(0);

const t0 = performance.now();
say('ONNX Runtime latency table (whole model, each stage dense vs separable at each r; 1 thread, batch 64)...\n');
const latency = await measureLatencyTable(base.model, base.config, ranks, { batch: 64, threads: 1, provider: 'cpu', repeats: 5 });
say(`classical ${latency.classicalMs.toFixed(4)} ms/image in ONNX Runtime ${latency.ortVersion}\n`);
const table = (await sensitivityAnalysis(base, { train, eval: selection }, {
  ranks,
  latency,
  bnRecalibrationBatches: bnBatches,
  batchSize: batch,
  evalBatch: batch,
  seed,
  evaluatedOn: 'test',
  onProgress: (done, total, seconds, row) => {
    if (row) say(`${done}/${total} ${row.label} r=${row.r}: acc ${row.acc.toFixed(4)} (drop ${row.drop.toFixed(4)}), kernel error ${row.kernelError.toFixed(4)} | ETA ${((seconds / done) * (total - done) / 60).toFixed(1)} min\n`);
  },
}))!;

/** The blocks in `ranks` swapped at their r with SVD init, evaluated on `data` before and after BN re-estimation. */
async function swapped(ranks: Record<string, number>, data: TensorData, timeIt = false) {
  const names = BLOCKS.map((b) => b.name).filter((n) => n in ranks);
  const { net, reports } = await swapBlocks(base, names, { depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false }, seed, ranks);
  const svd = await evaluate(net.model, data, batch);
  await recalibrateBatchNorm(net.model, train, bnBatches, batch, seed);
  const svdBn = await evaluate(net.model, data, batch);
  const params = inspectModel(net.config).totalParams;
  const config = net.config;
  const time = timeIt ? await ortTimes(net.model) : null;
  net.model.dispose();
  return { svd, svdBn, params, config, reports, time };
}

/** ms/image in ONNX Runtime (1 thread, batch 64, CPU) of `model` and the classical model, alternated. */
async function ortTimes(model: tf.LayersModel): Promise<{ classical: number; swapped: number }> {
  const models = [base.model, model].map((m, i) => ({ id: i ? 'swapped' : 'classical', model: m, onnx: exportOnnx(m, APP_VERSION).bytes, inputSize: base.config.inputSize }));
  const t = await timeModels(models, InferenceTimingSchema.parse({ batches: [64], repeats: 7, threads: 1, provider: 'cpu', engine: false }));
  const ms = (id: string) => t.get(id)!.onnxruntime.batches[0].msPerImage.median;
  return { classical: ms('classical'), swapped: ms('swapped') };
}

async function allSixteen(data: TensorData) {
  const baseline = await evaluate(base.model, data, batch);
  const { svd, svdBn, params, config: cfg, reports } = await swapped(Object.fromEntries(BLOCKS.map((b) => [b.name, 1])), data);
  return {
    images: data.x.shape[0],
    on: `all ${data.x.shape[0]} CIFAR-10 test images (nothing is chosen for this model, so no test image is used to choose)`,
    baseline_acc: baseline.acc,
    svd_acc_before_bn: svd.acc,
    svd_bn_acc: svdBn.acc,
    mean_kernel_error: reports.reduce((s, r) => s + (r.kernelError ?? 0), 0) / reports.length,
    params,
    classical_params: base.model.countParams(),
    macs: MAC_COST.total(cfg),
    classical_macs: MAC_COST.total(base.config),
  };
}
say(`all 16 blocks at r = 1 on all ${fullTest.x.shape[0]} test images...\n`);
const all16 = await allSixteen(fullTest);

/** The knapsack's choice at the study's final parameter count, predicted vs measured on the other test images. */
async function budgetAtStudySize() {
  const plan = planBudget(table, { sensitivityRunId: 'this table', kind: 'params', unit: 'absolute', value: budgetParams });
  say(`budget ${budgetParams.toLocaleString('en-US')} parameters: ${Object.keys(plan.ranks).length} blocks, predicted drop ${plan.predictedDrop.toFixed(4)}; measuring on ${report.x.shape[0]} test images...\n`);
  const baseline = await evaluate(base.model, report, batch);
  const { svd, svdBn, params } = await swapped(plan.ranks, report);
  return {
    target_params: budgetParams,
    why: "the study's final model (10 of 16 blocks swapped by its greedy test-set search, each fine-tuned) has 19.73M parameters",
    chosen: Object.fromEntries(BLOCKS.filter((b) => b.name in plan.ranks).map((b) => [b.label, plan.ranks[b.name]])),
    params,
    predicted_drop: plan.predictedDrop,
    measured_on: `${report.x.shape[0]} test images disjoint from the ${selection.x.shape[0]} the table was measured on`,
    baseline_acc: baseline.acc,
    svd_acc_before_bn: svd.acc,
    svd_bn_acc: svdBn.acc,
    measured_drop: baseline.acc - svdBn.acc,
    note: 'SVD init + BatchNorm re-estimation only, no distillation or fine-tuning: the drop a researcher starts recovering from',
  };
}
/** A budget that cannot be planned is recorded as such, so the table measured before it is never lost. */
async function orError<T>(f: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof BudgetError)) throw e;
    say(`budget skipped: ${e.message}\n`);
    return { error: e.message };
  }
}
const budget = await orError(budgetAtStudySize);

/** The knapsack's choice at --budget-ms-percent of the classical model's ONNX Runtime time: predicted vs measured time and drop. */
async function budgetOnTime() {
  const plan = planBudget(table, { sensitivityRunId: 'this table', kind: 'ms', unit: 'percent', value: budgetMsPercent });
  say(`time budget ${budgetMsPercent}%: ${Object.keys(plan.ranks).length} blocks, predicted ${plan.cost.toFixed(4)} ms/image, drop ${plan.predictedDrop.toFixed(4)}; measuring...\n`);
  const baseline = await evaluate(base.model, report, batch);
  const { svdBn, params, time } = await swapped(plan.ranks, report, true);
  return {
    target_percent: budgetMsPercent,
    target_ms: plan.target,
    chosen: Object.fromEntries(BLOCKS.filter((b) => b.name in plan.ranks).map((b) => [b.label, plan.ranks[b.name]])),
    params,
    predicted_ms: plan.cost,
    classical_ms_in_table: plan.classicalCost,
    measured_ms: time!.swapped,
    measured_classical_ms: time!.classical,
    measured_ratio: time!.swapped / time!.classical,
    timing: 'whole models exported to ONNX, ONNX Runtime CPU provider, 1 thread, batch 64, alternated, median of 7 repeats',
    predicted_drop: plan.predictedDrop,
    measured_drop: baseline.acc - svdBn.acc,
    measured_on: `${report.x.shape[0]} test images disjoint from the selection slice (SVD init + BN re-estimation, no distillation)`,
  };
}
const timeBudget = await orError(budgetOnTime);
const wall = (performance.now() - t0) / 1000;

const argv = process.argv.slice(2).join(' ');
const doc = {
  command: `npm run sensitivity:full${argv ? ` -- ${argv}` : ''}`,
  created: new Date().toISOString(),
  app_version: APP_VERSION,
  backend: backend.chosen,
  device: backend.device,
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, tfjs: tf.version.tfjs, load_average_1m_at_end: os.loadavg()[0] },
  model: { path: values.model, params: base.model.countParams(), width: `1/${base.config.widthDivisor}` },
  dataset: { path: dataPath, checksum: cifar.checksum, note: 'CIFAR-10 (JPEG q75 copy)' },
  protocol: {
    selection: `${selection.x.shape[0]} test images (seeded, stratified slice, seed ${seed})`,
    reported: `the budget's measured drop on ${report.x.shape[0]} other test images, disjoint from the selection slice; all 16 swapped (no choice made) on all ${fullTest.x.shape[0]}`,
    why_not_validation: 'the provided model was trained on all 50,000 training images, so a validation split carved from them is not held out for it; a test-set slice disjoint from the reported images stands in',
    bn_reestimation: `${bnBatches} batches of ${batch} training images`,
    no_training: true,
  },
  estimate,
  wall_seconds: wall,
  sensitivity: table,
  all_16_svd_bn: all16,
  budget_at_study_size: budget,
  budget_on_inference_time: timeBudget,
};
fs.mkdirSync(path.dirname(values.out!), { recursive: true });
fs.writeFileSync(values.out!, JSON.stringify(doc, null, 2) + '\n');
say(`wrote ${values.out} in ${(wall / 60).toFixed(1)} min\n`);
