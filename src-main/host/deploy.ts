/**
 * The host's deployment requests: a run's model as a checked ONNX file, an ONNX file's test
 * accuracy, the runs' inference timing under the protocol (stored in each run), and the per-block
 * latency table (cached per machine in `<dataDir>/cache`). Inputs are checked here, at the boundary.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  InferenceTimingSchema,
  type BlockLatencyReport,
  type HostEvent,
  type InferenceTiming,
  type OnnxEvalResult,
  type OnnxExportResult,
  type RunRecord,
} from '../contract';
import { checkExport, evaluateOnnx, exportOnnx, loadCifar10, loadNetFromDir, measureBlockLatency, OPSET, ortVersion, selectBackend, timeModels, type TimedModel } from '../engine';
import { writeFileAtomic, type Store } from '../store';
import { exportTarget, exportWriteError } from './archive-paths';
import { findDefaultDataset } from './default-dataset';
import { HostError } from './errors';
import { APP_VERSION } from './version';

/** The machine in words, as results record it. */
export function machineDescription(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${model}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()}-${os.arch()}, Node ${process.version}`;
}

let backend: Promise<unknown> | null = null;
/** The engine's backend in this process (chosen once, as a training worker chooses it). */
function engineReady(): Promise<unknown> {
  backend ??= selectBackend('auto');
  return backend;
}

export class Deploy {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    /** Progress of long requests, as log events of the runs concerned. */
    private readonly emit: (e: HostEvent) => void = () => undefined,
  ) {}

  private finishedModelDir(id: string): { run: RunRecord; dir: string } {
    const run = this.store.getRun(id);
    const dir = run.weightsPath;
    if (run.status !== 'done' || !dir || !fs.existsSync(path.join(dir, 'model.json'))) {
      throw new HostError('bad-input', `run '${run.name || id}' has no finished model (status ${run.status}); finish or resume it first`, 'id');
    }
    return { run, dir };
  }

  /** Loads, exports and checks a run's model; nothing is written when the check fails. */
  private async exported(id: string): Promise<{ run: RunRecord; model: tf.LayersModel; bytes: Uint8Array; check: OnnxExportResult['check']; folded: number; size: number }> {
    await engineReady();
    const { run, dir } = this.finishedModelDir(id);
    const net = await loadNetFromDir(dir);
    const onnx = exportOnnx(net.model, APP_VERSION);
    const check = await checkExport(net.model, onnx.bytes, onnx.inputSize);
    if (!check.passed) {
      net.model.dispose();
      throw new HostError('internal', `the ONNX export of run '${run.name || id}' differs from the engine by ${check.maxRelError.toExponential(2)} (relative; tolerance ${check.tolerance}); nothing was written — please report it`);
    }
    return { run, model: net.model, bytes: onnx.bytes, check, folded: onnx.foldedBatchNorms, size: onnx.inputSize };
  }

  async exportOnnx(id: string, file: unknown): Promise<OnnxExportResult> {
    const dest = exportTarget(file, this.dataDir, '.onnx');
    const t0 = performance.now();
    const e = await this.exported(id);
    e.model.dispose();
    try {
      await writeFileAtomic(dest, e.bytes);
    } catch (err) {
      throw exportWriteError(err, dest);
    }
    return { path: dest, bytes: e.bytes.byteLength, seconds: (performance.now() - t0) / 1000, opset: OPSET, foldedBatchNorms: e.folded, check: e.check };
  }

  async evalOnnx(file: unknown, data?: unknown): Promise<OnnxEvalResult> {
    if (typeof file !== 'string' || !path.isAbsolute(file)) throw new HostError('bad-input', 'path must be the absolute path of a .onnx file on the host, e.g. /home/me/model.onnx', 'path');
    const opts = (data ?? {}) as { path?: unknown; testPerClass?: unknown };
    const dataset = typeof opts.path === 'string' && opts.path ? opts.path : findDefaultDataset();
    if (!dataset) throw new HostError('bad-input', 'no dataset given and none found; give data.path (a CIFAR-10 zip, folder or cifar-10-batches-bin)', 'data.path');
    const perClass = opts.testPerClass === undefined ? 0 : Number(opts.testPerClass);
    if (!Number.isInteger(perClass) || perClass < 0) throw new HostError('bad-input', 'testPerClass must be a whole number >= 0 (0 = every test image)', 'data.testPerClass');
    const t0 = performance.now();
    const cifar = await loadCifar10(dataset, { trainPerClass: 1, testPerClass: perClass, cacheDir: path.join(this.dataDir, 'cache') });
    const acc = await evaluateOnnx(file, cifar.test, cifar.classes.length, { threads: 0, provider: 'auto' });
    return { path: file, images: acc.images, testAcc: acc.testAcc, perClassAcc: acc.perClassAcc, seconds: (performance.now() - t0) / 1000, provider: acc.provider, threads: acc.threads, dataset };
  }

  async timeInference(ids: unknown, timing?: unknown): Promise<Record<string, InferenceTiming>> {
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === 'string')) throw new HostError('bad-input', 'pick at least one finished run to time', 'ids');
    const cfg = InferenceTimingSchema.parse(timing ?? {});
    const unique = [...new Set(ids as string[])];
    const models: TimedModel[] = [];
    try {
      for (const id of unique) {
        const e = await this.exported(id);
        models.push({ id, model: e.model, onnx: e.bytes, inputSize: e.size });
      }
      const started = performance.now();
      const say = (message: string) => unique.forEach((runId) => this.emit({ type: 'log', runId, level: 'info', message }));
      const phases = cfg.batches.length * (cfg.engine ? 2 : 1);
      let phase = 0;
      const times = await timeModels(models, cfg, undefined, (what) => say(`inference timing ${++phase}/${phases}: ${what}, ${unique.length} model(s) alternated (${((performance.now() - started) / 1000).toFixed(0)} s so far)`));
      say(`inference timing done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      const at = new Date().toISOString();
      const out: Record<string, InferenceTiming> = {};
      for (const id of unique) {
        const t = times.get(id)!;
        out[id] = { measuredAt: at, machine: machineDescription(), protocol: cfg, alternatedWith: unique, onnxruntime: t.onnxruntime, engine: t.engine };
        this.store.setTiming(id, out[id]);
      }
      return out;
    } finally {
      for (const m of models) m.model.dispose();
    }
  }

  async blockLatency(opts?: unknown): Promise<BlockLatencyReport> {
    const o = (opts ?? {}) as { refresh?: unknown; widthDivisor?: unknown };
    const widthDivisor = o.widthDivisor === undefined ? 1 : Number(o.widthDivisor);
    if (!Number.isInteger(widthDivisor) || widthDivisor < 1 || widthDivisor > 64) throw new HostError('bad-input', 'widthDivisor must be a whole number from 1 to 64 (1 = full width)', 'widthDivisor');
    const settings = { batch: 64, threads: 1, provider: 'cpu' as const, inputSize: 32, repeats: 5, widthDivisor };
    const key = createHash('sha256').update(JSON.stringify({ m: machineDescription(), v: ortVersion(), settings })).digest('hex').slice(0, 16);
    const file = path.join(this.dataDir, 'cache', `block-latency-${key}.json`);
    if (o.refresh !== true && fs.existsSync(file)) {
      try {
        return { ...(JSON.parse(fs.readFileSync(file, 'utf8')) as BlockLatencyReport), cached: true };
      } catch {
        // an unreadable cache entry is measured again and replaced
      }
    }
    const r = await measureBlockLatency(settings);
    const report: BlockLatencyReport = { machine: machineDescription(), provider: r.provider, threads: r.threads, ortVersion: ortVersion(), batch: settings.batch, widthDivisor, measuredAt: new Date().toISOString(), cached: false, blocks: r.blocks };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(report));
    return report;
  }
}
