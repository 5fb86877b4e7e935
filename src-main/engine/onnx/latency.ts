/**
 * Per-block latency: each bottleneck block's 3x3 conv at its real shape (M = N = the block's width,
 * spatial size as a 32x32 input reaches that stage: 8, 4, 2, 1), as a dense Conv 3x3 and as a
 * depthwise Conv 3x3 (group = M) + pointwise Conv 1x1, each a tiny ONNX graph timed in ONNX
 * Runtime under the alternating protocol. The blocks of a stage share one shape, so each shape is
 * timed once and reported for every block of its stage.
 */
import type * as tf from '@tensorflow/tfjs';
import { BLOCKS, type BlockLatency, type LatencyTable, type ModelConfig, type TimingStats } from '../../contract';
import { scaled } from '../resnet';
import { timeAlternated } from '../timing';
import { exportOnnx } from './export';
import { GraphBuilder } from './proto';
import { closeSession, openSession, ortVersion, runBatch, type OrtSession, type SessionOptions } from './runtime';

export interface LatencyOptions extends SessionOptions {
  batch: number;
  widthDivisor: number;
  inputSize: number;
  repeats: number;
  minMeasureMs?: number;
  /** Called between measurements (cancellation, yielding). */
  between?: () => Promise<void>;
}

/** Spatial size of stage `stage`'s 3x3 convs for an input of `input` pixels (stem /4, then /2 per stage after 2). */
export function stageSpatial(stage: number, input: number): number {
  let s = Math.ceil(Math.ceil(input / 2) / 2);
  for (let k = 3; k <= stage; k++) s = Math.ceil(s / 2);
  return s;
}

function seeded(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 4294967296 - 0.5) * 0.2;
  });
}

/**
 * The dense 3x3 conv (M -> N) or its separable replacement at depth multiplier r (depthwise 3x3,
 * M -> r*M channels, then pointwise 1x1, r*M -> N), as an ONNX model with NCHW input.
 */
export function convGraph(m: number, n: number, s: number, separable: boolean, r = 1): Uint8Array {
  const g = new GraphBuilder();
  g.fresh('x');
  const same = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
  let y: string;
  if (separable) {
    const mid = m * r;
    const dw = g.op('Conv', ['x', g.floats('dw_W', [mid, 1, 3, 3], seeded(mid * 9, 1))], 'dw', { ...same, group: m });
    y = g.op('Conv', [dw, g.floats('pw_W', [n, mid, 1, 1], seeded(n * mid, 2)), g.floats('pw_B', [n], seeded(n, 3))], 'pw', { kernel_shape: [1, 1] });
  } else {
    y = g.op('Conv', ['x', g.floats('W', [n, m, 3, 3], seeded(n * m * 9, 4)), g.floats('B', [n], seeded(n, 5))], 'conv', same);
  }
  g.add({ op: 'Identity', inputs: [y], outputs: [g.fresh('y')] });
  return g.encode({ input: { name: 'x', dims: ['batch', m, s, s] }, output: { name: 'y', dims: ['batch', n, s, s] }, name: separable ? `separable3x3_r${r}` : 'dense3x3', producerVersion: 'latency' });
}

interface Shape {
  stage: number;
  m: number;
  s: number;
}

/** One shape's dense conv and its separable replacement at each r, alternated in one protocol. */
async function timeShape(shape: Shape, ranks: readonly number[], o: LatencyOptions): Promise<{ dense: TimingStats; separable: Map<number, TimingStats>; provider: string; threads: number }> {
  const graphs = [convGraph(shape.m, shape.m, shape.s, false), ...ranks.map((r) => convGraph(shape.m, shape.m, shape.s, true, r))];
  const sessions: OrtSession[] = [];
  try {
    for (const g of graphs) sessions.push(await openSession(g, o));
    const x = seeded(o.batch * shape.m * shape.s * shape.s, 6);
    const dims = [o.batch, shape.m, shape.s, shape.s];
    const subjects = sessions.map((s, i) => ({ id: i ? `r${ranks[i - 1]}` : 'dense', run: async () => void (await runBatch(s, x, dims)) }));
    const [dense, ...separable] = await timeAlternated(subjects, { batch: o.batch, repeats: o.repeats, warmupTolerance: 0.1, maxWarmupRounds: 6, minMeasureMs: o.minMeasureMs ?? 20, between: o.between });
    return { dense: dense.msPerImage, separable: new Map(ranks.map((r, i) => [r, separable[i].msPerImage])), provider: sessions[0].provider, threads: sessions[0].threads };
  } finally {
    await Promise.all(sessions.map(closeSession));
  }
}

/** Each stage's shape, timed once (the blocks of a stage share it). */
async function timeStages(o: LatencyOptions, ranks: readonly number[]) {
  const byStage = new Map<number, Awaited<ReturnType<typeof timeShape>>>();
  for (const b of BLOCKS) {
    if (byStage.has(b.stage)) continue;
    byStage.set(b.stage, await timeShape({ stage: b.stage, m: scaled(b.baseWidth, o.widthDivisor), s: stageSpatial(b.stage, o.inputSize) }, ranks, o));
  }
  return byStage;
}

/** Every block's dense vs separable (r = 1) latency (ms per image at `batch`). */
export async function measureBlockLatency(o: LatencyOptions): Promise<{ blocks: BlockLatency[]; provider: string; threads: number }> {
  const byStage = await timeStages(o, [1]);
  const blocks = BLOCKS.map((b) => {
    const t = byStage.get(b.stage)!;
    const m = scaled(b.baseWidth, o.widthDivisor);
    const separable = t.separable.get(1)!;
    return { name: b.name, label: b.label, inChannels: m, filters: m, spatial: stageSpatial(b.stage, o.inputSize), dense: t.dense, separable, speedup: t.dense.median / separable.median };
  });
  const first = byStage.values().next().value!;
  return { blocks, provider: first.provider, threads: first.threads };
}

/**
 * What an inference-time budget reads: ms per image in ONNX Runtime of the whole classical model
 * and, per block, of its dense 3x3 conv and of the separable replacement at each r (medians).
 * A swapped model's time is predicted as the classical's minus the blocks' savings.
 */
export async function measureLatencyTable(model: tf.LayersModel, cfg: Pick<ModelConfig, 'widthDivisor' | 'inputSize'>, ranks: readonly number[], o: Omit<LatencyOptions, 'widthDivisor' | 'inputSize'>): Promise<LatencyTable> {
  const unique = [...new Set(ranks)].sort((a, b) => a - b);
  const lo: LatencyOptions = { ...o, widthDivisor: cfg.widthDivisor, inputSize: cfg.inputSize };
  const byStage = await timeStages(lo, unique);
  const onnx = exportOnnx(model, 'latency');
  const session = await openSession(onnx.bytes, o);
  let classical: TimingStats;
  try {
    const x = seeded(o.batch * onnx.inputSize * onnx.inputSize * 3, 7);
    const dims = [o.batch, onnx.inputSize, onnx.inputSize, 3];
    [{ msPerImage: classical }] = await timeAlternated([{ id: 'classical', run: async () => void (await runBatch(session, x, dims)) }], { batch: o.batch, repeats: o.repeats, warmupTolerance: 0.1, maxWarmupRounds: 6, minMeasureMs: o.minMeasureMs ?? 20, between: o.between });
  } finally {
    await closeSession(session);
  }
  const first = byStage.values().next().value!;
  return {
    provider: first.provider,
    threads: first.threads,
    ortVersion: ortVersion(),
    batch: o.batch,
    classicalMs: classical.median,
    blocks: BLOCKS.map((b) => {
      const t = byStage.get(b.stage)!;
      return { block: b.name, denseMs: t.dense.median, separableMs: Object.fromEntries(unique.map((r) => [String(r), t.separable.get(r)!.median])) };
    }),
  };
}
