/**
 * This engine's CPU training step against PyTorch's, side by side on one machine: the same Keras-shaped
 * ResNet-50 (../shared/peer/rn50.py is its PyTorch twin), batch 32, Adam, random data, at widths 1/16,
 * 1/4 and full. Each measurement runs in a fresh process; ours and the peer's alternate, three rounds,
 * and the medians are compared. Ours also times evaluation and BatchNorm re-estimation per batch
 * (PyTorch's side of those: scripts/peer_eval.py, the same network). The load average is recorded around every measurement:
 * the machine may be shared, and the alternating ratio is what to read.
 *
 *   npm run bench:peer [-- --widths 16,4,1 --rounds 3 --backend wasm --out docs/results/bench-peer.json]
 *
 * PyTorch is the peer script ../shared/peer/train_bench.py run by a python3 that imports torch (1 thread);
 * where none does, the peer is skipped ("peer skipped") and ours is still measured.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src-main/engine/backend';
import { evaluate } from '../src-main/engine/metrics';
import { OPTIMISER_PRESETS } from '../src-main/contract';
import { createOptimiser } from '../src-main/engine/optim';

const FAST_OPTIMISER = OPTIMISER_PRESETS.fast;
import { buildResNet50 } from '../src-main/engine/resnet';
import { recalibrateBatchNorm, train } from '../src-main/engine/train';

const { values } = parseArgs({
  options: {
    one: { type: 'boolean', default: false },
    width: { type: 'string', default: '16' },
    steps: { type: 'string' },
    widths: { type: 'string', default: '16,4,1' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: 'docs/results/bench-peer.json' },
  },
});
const BATCH = 32;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEER = path.resolve(root, '../shared/peer/train_bench.py');
const PEER_EVAL = path.resolve(root, 'scripts/peer_eval.py');
/** Fewer timed steps where one step is long. */
const stepsFor = (w: number) => Number(values.steps ?? (w >= 16 ? 10 : w >= 4 ? 5 : 2));

/** One measurement in this process: ms per training step, per evaluation batch and per BN re-estimation batch. */
async function measureOurs(width: number, steps: number, backend: string) {
  const report = await selectBackend(backend as 'wasm');
  const model = buildResNet50({ widthDivisor: width, zeroInitResidual: true }, 1);
  const n = BATCH * (steps + 2);
  const data = {
    x: tf.randomNormal([n, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
    y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 2) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D,
  };
  const optimiser = createOptimiser(FAST_OPTIMISER);
  const run = (count: number) =>
    train(model, data, {
      phase: 'bench',
      epochs: 1,
      batchSize: BATCH,
      seed: 1,
      optimiser,
      optimiserConfig: FAST_OPTIMISER,
      augment: false,
      maxBatches: count,
    });
  await run(2); // warm-up, as the peer script does
  let t0 = performance.now();
  await run(steps);
  const msPerStep = (performance.now() - t0) / steps;
  t0 = performance.now();
  await evaluate(model, data, BATCH);
  const msPerEvalBatch = (performance.now() - t0) / (n / BATCH);
  t0 = performance.now();
  await recalibrateBatchNorm(model, data, steps, BATCH, 0);
  const msPerBnBatch = (performance.now() - t0) / steps;
  return {
    engine: 'dwswap',
    backend: report.chosen,
    device: report.device,
    width,
    steps,
    msPerStep,
    msPerEvalBatch,
    msPerBnBatch,
  };
}

function findPython(): string | null {
  for (const py of [process.env.DWSWAP_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

const load = () => Number(os.loadavg()[0].toFixed(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function oursInChild(width: number, steps: number) {
  const tsx = path.join(root, 'node_modules/.bin/tsx');
  const args = [
    fileURLToPath(import.meta.url),
    '--one',
    '--width',
    String(width),
    '--steps',
    String(steps),
    '--backend',
    values.backend!,
  ];
  const out = execFileSync(tsx, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function peerInChild(py: string, width: number, steps: number) {
  const run = (script: string, args: string[]) =>
    JSON.parse(
      execFileSync(py, [script, ...args], { encoding: 'utf8', cwd: path.dirname(PEER), stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n')
        .pop()!,
    );
  const train = run(PEER, [String(width), '1', String(steps)]);
  const evalBn = run(PEER_EVAL, [String(width), String(steps + 2)]);
  return { msPerStep: train.msPerStep as number, msPerEvalBatch: evalBn.msPerEvalBatch as number, msPerBnBatch: evalBn.msPerBnBatch as number };
}

async function main(): Promise<void> {
  if (values.one) {
    process.stdout.write(
      JSON.stringify(await measureOurs(Number(values.width), stepsFor(Number(values.width)), values.backend!)) + '\n',
    );
    return;
  }
  const py = fs.existsSync(PEER) ? findPython() : null;
  if (!py) process.stdout.write(`peer skipped: no python3 with torch (or no ${PEER}); measuring ours only\n`);
  const widths = values.widths!.split(',').map(Number);
  const rounds = Number(values.rounds);
  const results = [];
  for (const width of widths) {
    const steps = stepsFor(width);
    const ours: Record<string, number>[] = [];
    const peer: { msPerStep: number; msPerEvalBatch: number; msPerBnBatch: number }[] = [];
    const loads: number[] = [];
    let device = '';
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so a load change between the two does not favour one side.
      const order = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const who of order) {
        loads.push(load());
        if (who === 'ours') {
          const o = oursInChild(width, steps);
          device = `${o.backend}: ${o.device}`;
          ours.push(o);
          process.stdout.write(
            `width 1/${width} round ${r + 1}: ours ${o.msPerStep.toFixed(1)} ms/step (eval ${o.msPerEvalBatch.toFixed(1)}, BN ${o.msPerBnBatch.toFixed(1)} ms/batch), load ${loads.at(-1)}\n`,
          );
        } else if (py) {
          const p = peerInChild(py, width, steps);
          peer.push(p);
          process.stdout.write(
            `width 1/${width} round ${r + 1}: pytorch ${p.msPerStep.toFixed(1)} ms/step (eval ${p.msPerEvalBatch.toFixed(1)}, BN ${p.msPerBnBatch.toFixed(1)} ms/batch), load ${loads.at(-1)}\n`,
          );
        }
      }
    }
    loads.push(load());
    const oursMs = median(ours.map((o) => o.msPerStep));
    const peerMs = peer.length ? median(peer.map((p) => p.msPerStep)) : null;
    const oursEval = median(ours.map((o) => o.msPerEvalBatch));
    const oursBn = median(ours.map((o) => o.msPerBnBatch));
    results.push({
      width: `1/${width}`,
      steps,
      ours: {
        device,
        msPerStep: oursMs,
        msPerEvalBatch: oursEval,
        msPerBnBatch: oursBn,
        rounds: ours.map((o) => o.msPerStep),
      },
      peer:
        peerMs === null
          ? 'peer skipped'
          : {
              engine: 'PyTorch, 1 thread',
              msPerStep: peerMs,
              msPerEvalBatch: median(peer.map((p) => p.msPerEvalBatch)),
              msPerBnBatch: median(peer.map((p) => p.msPerBnBatch)),
              rounds: peer.map((p) => p.msPerStep),
            },
      ratio: peerMs === null ? null : oursMs / peerMs,
      evalRatio: peerMs === null ? null : oursEval / median(peer.map((p) => p.msPerEvalBatch)),
      bnRatio: peerMs === null ? null : oursBn / median(peer.map((p) => p.msPerBnBatch)),
      loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
    });
  }
  const torch = py
    ? execFileSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()
    : null;
  const doc = {
    command: `npm run bench:peer -- --widths ${values.widths} --rounds ${rounds} --backend ${values.backend}`,
    created: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? 'unknown',
      memory_gib: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      load_average_at_end: os.loadavg(),
    },
    versions: { tfjs: tf.version.tfjs, pytorch: torch },
    config: {
      model: 'Keras-shaped ResNet-50 (32x32 input, Dense 1024-512-10 head)',
      batch: BATCH,
      optimiser: 'Adam 1e-3',
      data: 'random normal images, random labels',
      ours: 'train() without augmentation; evaluate() and recalibrateBatchNorm() per batch of 32',
      peer: '../shared/peer/train_bench.py W 1 STEPS (torch.set_num_threads(1)); evaluation and BN re-estimation: scripts/peer_eval.py W STEPS+2 (the same network, eval-mode and train-mode forward under no_grad, batch 32, 1 thread)',
      alternation: 'ours/peer order alternates per round; medians over rounds',
    },
    results,
  };
  fs.mkdirSync(path.dirname(path.resolve(root, values.out!)), { recursive: true });
  fs.writeFileSync(path.resolve(root, values.out!), JSON.stringify(doc, null, 2) + '\n');
  for (const r of results)
    process.stdout.write(
      `1/${r.width.slice(2)} width: ours ${r.ours.msPerStep.toFixed(1)} ms/step, ${typeof r.peer === 'string' ? r.peer : `pytorch ${r.peer.msPerStep.toFixed(1)} ms/step, ratio ${r.ratio!.toFixed(2)}x (eval ${r.evalRatio!.toFixed(2)}x, BN re-estimation ${r.bnRatio!.toFixed(2)}x)`} (load ${r.loadAverage1m.min}-${r.loadAverage1m.max})\n`,
    );
}

await main();
