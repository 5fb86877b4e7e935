/**
 * The host: the one object that owns the run store and the training runner and implements the
 * typed contract (HostApi) that every transport (Electron IPC, WebSocket, the CLI in-process)
 * speaks. Inputs are validated here, at the boundary, whatever transport they came through.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  baselineOf,
  ModelConfigSchema,
  PROTOCOL_RULES,
  RunConfigSchema,
  runSwapped,
  type HostEvent,
  type HostService,
  type RunConfig,
  type RunConfigInput,
  type RunRecord,
  type SensitivityResult,
} from '../contract';
import { checkDataset, checkModelDir, inspectModel, loadNetFromDir } from '../engine';
import { buildComparison, openStore, type Store } from '../store';
import { exportTarget, exportWriteError, importReadError, importSource } from './archive-paths';
import { findDefaultDataset } from './default-dataset';
import { Deploy } from './deploy';
import { HostError } from './errors';
import { resolveSelection } from './selection';
import { checkDepthMultiplier, checkMemory, memoryBudget } from './limits';
import { checkInherited, checkSwapList } from './settings';
import { applyWorkerMessage } from './progress';
import { Runner } from './runner';
import { APP_VERSION } from './version';

export interface HostOptions {
  dataDir: string;
  /** Memory a run's training may plan for, in bytes; default DWSWAP_MEMORY_MB, else the machine's RAM. */
  memoryBytes?: number;
}

const RESUMABLE = new Set(['interrupted', 'cancelled', 'failed']);

export class Host implements HostService {
  private listeners = new Set<(e: HostEvent) => void>();
  private readonly runner: Runner;
  private lastBackend: Awaited<ReturnType<HostService['info']>>['backend'] = null;
  private readonly deploy: Deploy;

  constructor(
    readonly store: Store,
    readonly dataDir: string,
    private readonly memoryBytes = memoryBudget(),
  ) {
    this.deploy = new Deploy(store, dataDir, (e) => this.emit(e));
    this.runner = new Runner({
      onMessage: (id, m) => {
        if (m.type === 'backend') this.lastBackend = m.report;
        applyWorkerMessage(this.store, id, m, (e) => this.emit(e));
      },
      onLost: (id, reason) => {
        this.store.setStatus(id, 'failed', `${reason}; resume it to continue from its last checkpoint`);
        this.emit({ type: 'status', runId: id, status: 'failed', reason });
      },
    });
  }

  onEvent(listener: (e: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: HostEvent): void {
    for (const l of this.listeners) l(e);
  }

  async info() {
    return { appVersion: APP_VERSION, dataDir: this.dataDir, backend: this.lastBackend, defaultDataset: findDefaultDataset() };
  }

  async inspect(model: unknown) {
    return inspectModel(ModelConfigSchema.parse(model ?? {}));
  }

  async checkDataset(p: unknown) {
    return checkDataset(requireString(p, 'path'));
  }

  async listRuns() {
    return this.store.listRuns();
  }

  async getRun(id: unknown) {
    return this.store.getRun(requireString(id, 'id'));
  }

  async startRun(input: RunConfigInput) {
    // Resolved once, here: defaults filled in, the optimiser preset as its values (see OptimiserSchema).
    const config = RunConfigSchema.parse(input);
    checkSwapList(config);
    const baseline = this.baselineFor(config);
    if (baseline) {
      checkInherited(input, baseline.config.model, `baseline run '${baseline.name}'`);
      config.model = inheritStructure(config.model, baseline.config.model);
    }
    let imported: string[] | null = null;
    if (config.protocol === 'baseline' && config.initFrom) {
      const from = await importedModelConfig(config.initFrom, config.model.bnMomentum);
      checkInherited(input, { ...from.model, bnMomentum: config.model.bnMomentum }, `the model in ${config.initFrom}`);
      imported = from.swapped;
      config.model = from.model;
    }
    resolveSelection(config, baseline, input, (id) => this.finishedSensitivity(id, config));
    // After resolveSelection: a budget's plan decides which blocks ours swaps.
    const swapped = imported ?? runSwapped(config);
    checkDepthMultiplier(config);
    const check = await checkDataset(config.data.path);
    if (!check.ok) throw new HostError('bad-input', check.message, 'data.path');
    const classesGiven = (input as { model?: { classes?: unknown } } | null)?.model?.classes !== undefined;
    if (!baseline && !classesGiven) config.model = { ...config.model, classes: check.classes.length };
    checkClasses(config, check.classes, baseline);
    checkMemory(config, check, this.memoryBytes);
    const run = this.store.createRun(config, { appVersion: APP_VERSION, swapped });
    this.enqueue(run.id, config, baseline, false);
    return { id: run.id };
  }

  private baselineFor(config: RunConfig): RunRecord | null {
    const id = config.protocol === 'baseline' ? undefined : config.baselineRunId;
    if (!id) {
      // The schema requires it where the protocol's rule does; a stored run may predate that.
      if (PROTOCOL_RULES[config.protocol].baseline === 'required') {
        throw new HostError('bad-input', `the ${config.protocol} protocol starts from a trained baseline: choose a finished baseline run`, 'baselineRunId');
      }
      return null;
    }
    if (!this.store.exists(id)) throw new HostError('bad-input', `baseline run ${id} does not exist; pick one from History`, 'baselineRunId');
    const run = this.store.getRun(id);
    if (run.status !== 'done' || !run.weightsPath || !fs.existsSync(path.join(run.weightsPath, 'model.json'))) {
      throw new HostError('bad-input', `baseline run '${run.name}' has no finished model (status ${run.status}); finish or resume it first`, 'baselineRunId');
    }
    try {
      checkModelDir(run.weightsPath);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new HostError('bad-input', `the model of baseline run '${run.name}' is unusable (${why}); train the baseline again or import an intact copy`, 'baselineRunId');
    }
    return run;
  }

  /** The table of a finished sensitivity run from the same baseline, for a budget. */
  private finishedSensitivity(id: string, config: RunConfig): SensitivityResult {
    if (!this.store.exists(id)) throw new HostError('bad-input', `sensitivity run ${id} does not exist; run dwswap sensitivity first or pick one from History`, 'budget.sensitivityRunId');
    const run = this.store.getRun(id);
    const table = run.final?.sensitivity;
    if (run.protocol !== 'sensitivity' || run.status !== 'done' || !table) {
      throw new HostError('bad-input', `run '${run.name}' is not a finished sensitivity run (${run.protocol}, ${run.status}); pick one that is`, 'budget.sensitivityRunId');
    }
    if (baselineOf(run.config) !== baselineOf(config)) {
      throw new HostError('bad-input', `sensitivity run '${run.name}' was measured on baseline ${baselineOf(run.config)}, not ${baselineOf(config)}; use the same baseline`, 'budget.sensitivityRunId');
    }
    return table;
  }

  private enqueue(id: string, config: RunConfig, baseline: RunRecord | null, resume: boolean): void {
    this.runner.enqueue({
      runId: id,
      config,
      runDir: this.store.runDir(id),
      baselineModelDir: baseline?.weightsPath ?? null,
      resume,
      cacheDir: path.join(this.dataDir, 'cache'),
    });
    this.emit({ type: 'status', runId: id, status: 'queued', reason: null });
  }

  async cancelRun(id: unknown) {
    const runId = requireString(id, 'id');
    const run = this.store.getRun(runId);
    if (this.runner.isQueued(runId)) {
      this.runner.cancel(runId);
      this.store.setStatus(runId, 'cancelled', 'cancelled before it started');
      this.emit({ type: 'status', runId, status: 'cancelled', reason: 'cancelled before it started' });
      return;
    }
    if (this.runner.runningId !== runId) throw new HostError('conflict', `run '${run.name}' is not running (status ${run.status})`);
    this.runner.cancel(runId);
  }

  async resumeRun(id: unknown) {
    const runId = requireString(id, 'id');
    const run = this.store.getRun(runId);
    if (!RESUMABLE.has(run.status)) throw new HostError('conflict', `run '${run.name}' is ${run.status}; only interrupted, cancelled or failed runs resume`);
    const baseline = this.baselineFor(run.config);
    const check = await checkDataset(run.config.data.path);
    if (!check.ok) throw new HostError('bad-input', `${check.message}; the run needs its dataset back at that path to resume`, 'data.path');
    this.store.setStatus(runId, 'queued');
    this.enqueue(runId, run.config, baseline, true);
  }

  async renameRun(id: unknown, name: unknown) {
    this.store.renameRun(requireString(id, 'id'), requireString(name, 'name'));
  }

  async tagRun(id: unknown, tags: unknown) {
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw new HostError('bad-input', 'tags must be a list of strings', 'tags');
    this.store.tagRun(requireString(id, 'id'), tags);
  }

  async deleteRun(id: unknown) {
    const runId = requireString(id, 'id');
    if (this.isLive(runId)) {
      throw new HostError('conflict', 'this run is running or queued; cancel it before deleting it');
    }
    this.store.deleteRun(runId);
  }

  async exportRun(id: unknown, file: unknown, overwrite?: unknown) {
    const runId = requireString(id, 'id');
    const run = this.store.getRun(runId);
    if (this.isLive(runId)) {
      const state = this.runner.runningId === runId ? 'running' : 'queued';
      throw new HostError('conflict', `run '${run.name || runId}' is ${state}; export it once it has finished, or cancel it first`);
    }
    if (overwrite !== undefined && overwrite !== null && typeof overwrite !== 'boolean')
      throw new HostError('bad-input', 'overwrite must be true or false', 'overwrite');
    const dest = exportTarget(file, this.dataDir);
    try {
      return { path: await this.store.exportRun(runId, dest, { overwrite: overwrite === true }) };
    } catch (e) {
      throw exportWriteError(e, dest);
    }
  }

  async importRun(file: unknown) {
    const source = importSource(file);
    try {
      return { id: (await this.store.importRun(source)).id };
    } catch (e) {
      throw importReadError(e);
    }
  }

  async exportOnnx(id: unknown, file: unknown) {
    return this.deploy.exportOnnx(requireString(id, 'id'), file);
  }

  async evalOnnx(file: unknown, data?: unknown) {
    return this.deploy.evalOnnx(file, data);
  }

  async timeInference(ids: unknown, timing?: unknown) {
    return this.deploy.timeInference(ids, timing);
  }

  async blockLatency(opts?: unknown) {
    return this.deploy.blockLatency(opts);
  }

  private isLive(id: string): boolean {
    return this.runner.runningId === id || this.runner.isQueued(id);
  }

  async compare(ids: unknown, referenceId?: unknown) {
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === 'string')) {
      throw new HostError('bad-input', 'pick at least one run to compare', 'ids');
    }
    const runs = ids.map((i) => this.store.getRun(i));
    return buildComparison(runs, referenceId === undefined || referenceId === null ? undefined : requireString(referenceId, 'referenceId'));
  }

  /** Waits for every queued and running job to finish (used by the CLI and tests). */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  async close(): Promise<void> {
    const dropped = await this.runner.shutdown();
    for (const id of dropped) this.store.setStatus(id, 'cancelled', 'the workbench closed before it started');
    this.store.close();
  }
}

/** The model's outputs must be the dataset's classes (a from-scratch run takes them from the dataset unless told). */
function checkClasses(config: RunConfig, classes: string[], baseline: RunRecord | null): void {
  const n = config.model.classes;
  if (n === classes.length) return;
  const shown = `${classes.slice(0, 5).join(', ')}${classes.length > 5 ? ', ...' : ''}`;
  if (baseline) {
    throw new HostError('bad-input', `the dataset has ${classes.length} classes (${shown}) but baseline run '${baseline.name}' was trained on ${n}; use a dataset with the baseline's classes`, 'data.path');
  }
  throw new HostError('bad-input', `the dataset has ${classes.length} classes (${shown}) but the model has ${n} outputs; set model.classes to ${classes.length} or leave it out`, 'model.classes');
}

/**
 * An imported model folder must be a complete TF.js Layers ResNet-50; its structure (width, swapped
 * blocks, head, classes) then describes the run, whatever the request said.
 */
async function importedModelConfig(dir: string, bnMomentum: number): Promise<{ model: RunConfig['model']; swapped: string[] }> {
  try {
    checkModelDir(dir);
    const net = await loadNetFromDir(dir);
    net.model.dispose();
    const { widthDivisor, head, classes, inputSize, swapped } = net.config;
    return { model: { widthDivisor, head, classes, inputSize, bnMomentum, zeroInitResidual: false }, swapped };
  } catch (e) {
    throw new HostError('bad-input', `cannot start from ${dir}: ${(e as Error).message}`, 'initFrom');
  }
}

/** A run from a baseline has the baseline's structure: width, head, classes and BatchNorm settings. */
function inheritStructure<M extends RunConfig['model']>(model: M, from: RunConfig['model']): M {
  const { widthDivisor, head, classes, bnMomentum, zeroInitResidual } = from;
  return { ...model, widthDivisor, head, classes, bnMomentum, zeroInitResidual };
}

function requireString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new HostError('bad-input', `${field} must be a non-empty string`, field);
  return v;
}

/** Opens the store in `dataDir` (marking runs left by a dead process interrupted) and returns the host. */
export async function createHost(opts: HostOptions): Promise<Host> {
  const store = openStore(opts.dataDir);
  store.markInterrupted();
  return new Host(store, opts.dataDir, opts.memoryBytes);
}
