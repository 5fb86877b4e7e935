/**
 * One benchmark run: picks the backend, makes the data resident, then runs the measurements in a
 * fixed order (training at the first batch size, inference, training at the other batch sizes),
 * skipping those the wall budget leaves no time for, and rewriting bench-gpu.json after each.
 */
import * as tf from '@tensorflow/tfjs';
import { BLOCK_NAMES, ModelConfigSchema } from '../../src-main/contract';
import { selectBackend } from '../../src-main/engine/backend';
import { loadCifar10, toTensors } from '../../src-main/engine/data';
import { MIB, trainableCount } from '../../src-main/engine/metrics';
import { buildResNet50 } from '../../src-main/engine/resnet';
import type { TensorData } from '../../src-main/engine/train';
import { measureFit, measureInference, measureTraining, type TrainingRun } from './measure';
import type { BenchOptions, ModelKind } from './options';
import { EPOCH_IMAGES, REPORT_FILE, REPORT_SCHEMA, targetOf, writeJsonAtomic, type BenchReport } from './report';
import { adapterReport, watchDevice } from './webgpu-info';

export interface BenchEvent {
  /** Seconds since the benchmark started. */
  at: number;
  kind: 'info' | 'result' | 'skip' | 'error';
  text: string;
}

interface Task {
  what: string;
  kind: 'train' | 'infer';
  batch: number;
  run: () => Promise<string>;
}

export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}

/** `n` random normalised images with random one-hot labels, made on the backend by tiling one block. */
function randomSet(n: number, seed: number): TensorData {
  return tf.tidy(() => {
    const block = Math.min(n, 256);
    const tile = tf.randomNormal([block, 32, 32, 3], 0, 1, 'float32', seed);
    const x = tf.tile(tile, [Math.ceil(n / block), 1, 1, 1]).slice(0, n) as tf.Tensor4D;
    const labels = tf.randomUniform([n], 0, 10, 'int32', seed + 1) as tf.Tensor1D;
    return { x, y: tf.oneHot(labels, 10).toFloat() as tf.Tensor2D };
  });
}

function newReport(o: BenchOptions): BenchReport {
  const now = new Date().toISOString();
  return {
    schema: REPORT_SCHEMA,
    startedAt: now,
    updatedAt: now,
    finished: false,
    wallSeconds: 0,
    config: { ...o, budgetS: Number.isFinite(o.budgetS) ? o.budgetS : null, epochImages: EPOCH_IMAGES },
    versions: { ...(tf.version as Record<string, string>), node: process.version },
    backend: null,
    adapter: null,
    flags: {},
    data: null,
    models: {},
    training: [],
    baseline: [],
    inference: [],
    skipped: [],
    errors: [],
    target: targetOf([]),
    fatal: null,
  };
}

export class BenchRun {
  readonly report: BenchReport;
  private readonly t0 = performance.now();
  private readonly models = new Map<ModelKind, tf.LayersModel>();
  private readonly walls: { kind: Task['kind']; batch: number; seconds: number }[] = [];
  private data: { train: TensorData; test: TensorData } | null = null;

  constructor(
    private readonly o: BenchOptions,
    private readonly onEvent?: (e: BenchEvent) => void,
  ) {
    this.report = newReport(o);
  }

  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  private emit(kind: BenchEvent['kind'], text: string): void {
    this.onEvent?.({ at: this.elapsed(), kind, text });
  }

  save(): void {
    const r = this.report;
    r.updatedAt = new Date().toISOString();
    r.wallSeconds = this.elapsed();
    r.target = targetOf(r.training);
    if (this.o.out) writeJsonAtomic(this.o.out, REPORT_FILE, r);
  }

  /** Backend and data; a failure here ends the run (report.fatal). */
  async start(): Promise<boolean> {
    const r = this.report;
    try {
      r.backend = await selectBackend(this.o.backend);
      r.adapter = adapterReport();
      watchDevice((text) => {
        if (r.errors.length < 50) r.errors.push({ what: 'webgpu device', message: text });
        this.emit('error', `webgpu device: ${text}`);
      });
      this.emit('info', `backend ${r.backend.chosen} (${r.backend.device ?? 'unknown device'})`);
      this.data = await this.loadData();
      const d = r.data!;
      this.emit('info', `data ${d.source}: ${d.train} train, ${d.test} test, ${d.residentMiB.toFixed(0)} MiB resident`);
      this.checkBindingLimit(this.data.train.x);
      r.flags = { ...tf.env().getFlags() };
      return true;
    } catch (e) {
      r.fatal = oneLine(e);
      return false;
    } finally {
      this.save();
    }
  }

  /** WebGPU binds a whole tensor per gather: one larger than the device allows fails (as a device error). */
  private checkBindingLimit(x: tf.Tensor): void {
    const limits = (this.report.adapter?.limits ?? {}) as Record<string, number>;
    const limit = limits.maxStorageBufferBindingSize;
    const bytes = x.size * 4;
    if (limit === undefined || bytes <= limit) return;
    const message = `the resident training images (${(bytes / MIB).toFixed(0)} MiB) exceed maxStorageBufferBindingSize (${(limit / MIB).toFixed(0)} MiB)`;
    this.report.errors.push({ what: 'limits', message });
    this.emit('error', message);
  }

  private async loadData(): Promise<{ train: TensorData; test: TensorData }> {
    const o = this.o;
    const t0 = performance.now();
    const before = tf.memory().numBytes;
    let sets: { train: TensorData; test: TensorData };
    if (o.data) {
      const c = await loadCifar10(o.data);
      sets = { train: toTensors(c.train, c.classes), test: toTensors(c.test, c.classes) };
    } else {
      const n = Math.max(...o.batches) * Math.max(o.steps, o.warmup, 1);
      sets = { train: randomSet(n, o.seed), test: randomSet(o.inferImages, o.seed + 2) };
    }
    this.report.data = {
      source: o.data ? 'zip' : 'random',
      path: o.data,
      train: sets.train.x.shape[0],
      test: sets.test.x.shape[0],
      loadSeconds: (performance.now() - t0) / 1000,
      residentMiB: (tf.memory().numBytes - before) / MIB,
    };
    return sets;
  }

  private modelFor(kind: ModelKind): tf.LayersModel {
    const existing = this.models.get(kind);
    if (existing) return existing;
    const t0 = performance.now();
    const swapped = kind === 'swapped' ? [...BLOCK_NAMES] : [];
    const config = ModelConfigSchema.parse({ widthDivisor: this.o.width, swapped });
    const model = buildResNet50(config, this.o.seed);
    const buildSeconds = (performance.now() - t0) / 1000;
    this.report.models[kind] = {
      config,
      params: model.countParams(),
      trainableParams: trainableCount(model),
      buildSeconds,
    };
    this.models.set(kind, model);
    return model;
  }

  /** Training with the engine's train() step, or (`fit`) TF.js's model.fit as the baseline. */
  private trainTask(kind: ModelKind, batch: number, fit = false): Task {
    const o = this.o;
    const run = async () => {
      const spec: TrainingRun = {
        kind,
        model: this.modelFor(kind),
        data: this.data!.train,
        batch,
        steps: o.steps,
        warmup: o.warmup,
        optimiser: o.optimiser,
        augment: o.augment,
        seed: o.seed,
      };
      const r = fit ? await measureFit(spec) : await measureTraining(spec);
      (fit ? this.report.baseline : this.report.training).push(r);
      const loss = `loss ${r.loss.toFixed(3)}`;
      return `${r.msPerStep.toFixed(1)} ms/step, ${r.samplesPerSec.toFixed(1)} samples/s, epoch ${r.epochSeconds.toFixed(1)} s, ${loss}`;
    };
    return { what: `${fit ? 'model.fit' : 'train'} ${kind} batch ${batch}`, kind: 'train', batch, run };
  }

  private inferTask(kind: ModelKind, batch: number): Task {
    const run = async () => {
      const r = await this.inferLargestBatch(kind, batch);
      this.report.inference.push(r);
      const projected = r.projected ? `, projected from ${r.timedImages}` : '';
      return `${r.seconds.toFixed(2)} s for ${r.images} images (${r.msPerImage.toFixed(3)} ms/image${projected})`;
    };
    return { what: `infer ${kind} batch ${batch}`, kind: 'infer', batch, run };
  }

  /** The asked-for batch, halved until one runs ("or the largest that fits"). */
  private async inferLargestBatch(kind: ModelKind, batch: number) {
    const model = this.modelFor(kind);
    for (let b = batch; ; b = Math.floor(b / 2)) {
      try {
        const run = { kind, model, x: this.data!.test.x, batch: b, images: this.o.inferImages, capS: this.o.inferCapS };
        const r = await measureInference(run);
        return b === batch ? r : { ...r, note: `batch ${batch} failed; ${b} is the largest that ran` };
      } catch (e) {
        if (b <= 1) throw e;
        this.emit('error', `infer ${kind} batch ${b}: ${oneLine(e)}; trying ${Math.floor(b / 2)}`);
      }
    }
  }

  /**
   * Training at the first batch size, inference (large batch, then 1), the model.fit baseline if
   * asked for, then training at the other batch sizes.
   */
  plan(): Task[] {
    const o = this.o;
    const [first, ...rest] = o.batches;
    return [
      ...o.models.map((k) => this.trainTask(k, first)),
      ...o.models.map((k) => this.inferTask(k, o.inferBatch)),
      ...(o.inferBatch === 1 ? [] : o.models.map((k) => this.inferTask(k, 1))),
      ...(o.fitBaseline ? [this.trainTask(o.models[0], first, true)] : []),
      ...rest.flatMap((b) => o.models.map((k) => this.trainTask(k, b))),
    ];
  }

  /** Seconds a task will likely take, from those done: training scales with batch, inference is capped. */
  private estimate(task: Task): number {
    const same = this.walls.filter((w) => w.kind === task.kind);
    if (task.kind === 'infer') return Math.max(this.o.inferCapS, ...same.map((w) => w.seconds));
    return Math.max(0, ...same.map((w) => (w.seconds * Math.max(task.batch, w.batch)) / w.batch));
  }

  /** Runs one task unless the budget is near; records its result, error or skip, then saves. */
  async runTask(task: Task): Promise<void> {
    const guess = this.estimate(task);
    if (this.elapsed() + guess > this.o.budgetS) {
      const reason = `budget: ${this.elapsed().toFixed(0)} s elapsed + ~${guess.toFixed(0)} s estimated > ${this.o.budgetS} s`;
      this.report.skipped.push({ what: task.what, reason });
      this.emit('skip', `${task.what}: ${reason}`);
      return;
    }
    const t0 = performance.now();
    try {
      this.emit('result', `${task.what}: ${await task.run()}`);
    } catch (e) {
      this.report.errors.push({ what: task.what, message: oneLine(e) });
      this.emit('error', `${task.what}: ${oneLine(e)}`);
    }
    this.walls.push({ kind: task.kind, batch: task.batch, seconds: (performance.now() - t0) / 1000 });
    this.save();
  }

  /** Frees the models and the resident data, and marks the report finished. */
  finish(): void {
    for (const m of this.models.values()) m.dispose();
    if (this.data) tf.dispose([this.data.train.x, this.data.train.y, this.data.test.x, this.data.test.y]);
    this.report.finished = true;
    this.save();
  }
}
