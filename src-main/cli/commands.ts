/** The dwswap commands. Each returns its exit code; errors propagate to main() as one line. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKENDS, DEFAULT_GREEDY, DEFAULT_SWAP, DEFAULTS, OPTIMISER_PRESETS, PROTOCOLS, SELECT_ON, type HostEvent, type RunConfigInput, type SelectOn } from '../contract';
import { checkDataset, inspectModel } from '../engine';
import { findDefaultDataset } from '../host/default-dataset';
import { createHost, type Host } from '../host/host';
import { jobPosition, jobStatus, type JobStep } from '../host/jobProgress';
import { PROFILES, reproduceSeed, resultsJson, resultsMarkdown, timeReproduced } from '../host/reproduce';
import { APP_VERSION } from '../host/version';
import { comparisonMarkdown } from '../store';
import { writeUserFile } from '../store/safe-write';
import { choiceFlag, CliError, intFlag, numFlag, parseBudget, parseRanks, parseSwapRanks, positiveFlag, type ParsedCli } from './args';
import { evalLine, evalOnnxCommand, exportLine, exportOnnxCommand, latencyTable, timingFlags } from './deploy';
import { formatEvent, inspectTable, runsTable, sensitivityTable, showRun, USAGE } from './format';
import { terminalJson, terminalSafe } from './sanitise';

export interface CommandContext {
  args: ParsedCli;
  /** A line for stdout (made terminal-safe by the caller of the command). */
  out(line: string): void;
  /** Text for stderr (terminal-safe as well). */
  err(text: string): void;
  /** A progress line redrawn in place on a terminal; absent where output is not a terminal. */
  progress?(line: string): void;
}

type Command = (ctx: CommandContext) => Promise<number>;

function storeDir(ctx: CommandContext): string {
  return path.resolve(ctx.args.values.store ?? process.env.DWSWAP_HOME ?? 'data');
}

function datasetPath(ctx: CommandContext): string {
  const given = ctx.args.values.data;
  if (given !== undefined && !given.trim()) throw new CliError('--data is empty; give the path of a CIFAR-10 zip, image folder or cifar-10-batches-bin');
  const p = given ?? findDefaultDataset();
  if (!p) throw new CliError('no dataset given and none found; pass --data PATH (a CIFAR-10 zip, image folder or cifar-10-batches-bin) or set DWSWAP_DATA');
  return path.resolve(p);
}

/**
 * Opens the host, runs `fn`, and always closes it; Ctrl-C cancels the running job cleanly.
 * `decorate` may add to each event's line (reproduce: the run's place in the job, its ETA).
 */
async function withHost<T>(ctx: CommandContext, fn: (host: Host) => Promise<T>, decorate?: (e: HostEvent, line: string) => string): Promise<T> {
  const host = await createHost({ dataDir: storeDir(ctx) });
  const tty = process.stderr.isTTY;
  const off = host.onEvent((e: HostEvent) => {
    const plain = formatEvent(e);
    const line = plain && decorate ? decorate(e, plain) : plain;
    if (!line) return;
    if (e.type === 'progress' && tty && ctx.progress) ctx.progress(line);
    else ctx.err(`${line}\n`);
  });
  const onSigint = () => {
    ctx.err('\ncancelling after the current batch (Ctrl-C again to force)...\n');
    process.once('SIGINT', () => process.exit(130));
    void host.listRuns().then((runs) => runs.filter((r) => r.status === 'running').forEach((r) => void host.cancelRun(r.id)));
  };
  process.once('SIGINT', onSigint);
  try {
    return await fn(host);
  } finally {
    process.off('SIGINT', onSigint);
    off();
    await host.close();
  }
}

const inspect: Command = async (ctx) => {
  const v = ctx.args.values;
  if (v.latency) return latency(ctx);
  const swap = parseSwapRanks(v.swap);
  const result = inspectModel({
    widthDivisor: intFlag(v.width, 'width', 1, 1),
    swapped: swap.blocks,
    blockRanks: swap.ranks,
    swap: { depthMultiplier: intFlag(v['depth-multiplier'], 'depth-multiplier', 1, 1), bnBetween: !!v['bn-between'], reluBetween: !!v['relu-between'] },
  });
  ctx.out(v.json ? terminalJson(result) : inspectTable(result));
  return 0;
};

/** Per-block dense vs separable latency in ONNX Runtime (at --width's shapes; cached per machine). */
const latency: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const v = ctx.args.values;
    const r = await host.blockLatency({ refresh: !!v.refresh, widthDivisor: intFlag(v.width, 'width', 1, 1) });
    ctx.out(v.json ? terminalJson(r) : terminalSafe(latencyTable(r), true));
    return 0;
  });

const exportOnnx: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const r = await exportOnnxCommand(host, ctx.args.positionals);
    ctx.out(ctx.args.values.json ? terminalJson(r) : terminalSafe(exportLine(r)));
    return 0;
  });

const evalOnnx: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const r = await evalOnnxCommand(host, ctx.args.positionals, ctx.args.values);
    ctx.out(ctx.args.values.json ? terminalJson(r) : terminalSafe(evalLine(r)));
    return 0;
  });

/**
 * The run configuration from `dwswap train`'s flags: the settings every protocol shares, then the
 * protocol's own. A flag that belongs to another protocol is passed on, so the host refuses it with
 * a message naming it rather than the run silently ignoring it.
 */
function trainConfig(ctx: CommandContext): RunConfigInput {
  const v = ctx.args.values;
  const protocol = choiceFlag(v.protocol, 'protocol', PROTOCOLS, 'baseline');
  const preset = v.optimiser ?? (protocol === 'baseline' ? 'fast' : 'study');
  if (!['study', 'fast'].includes(preset)) throw new CliError(`--optimiser must be study or fast, got '${preset}'`);
  const lr = positiveFlag(v.lr, 'lr', '0.001');
  const schedule = choiceFlag(v.schedule, 'schedule', ['constant', 'cosine'] as const, 'constant');
  const init = choiceFlag(v.init, 'init', ['svd', 'random'] as const, protocol === 'greedy' ? 'random' : 'svd');
  const given = <T>(flag: string | boolean | undefined, value: () => T): T | undefined => (flag === undefined ? undefined : value());
  const swapRanks = given(v.swap, () => parseSwapRanks(v.swap));
  if (v.budget && !v.sensitivity) throw new CliError('--budget needs --sensitivity RUN_ID (a finished dwswap sensitivity run from the same baseline)');
  const swap = { depthMultiplier: intFlag(v['depth-multiplier'], 'depth-multiplier', DEFAULT_SWAP.depthMultiplier, 1), init, bnBetween: !!v['bn-between'], reluBetween: !!v['relu-between'] };
  const model = {
    // Left out when not given: a run from a baseline or a model folder takes its width and momentum from it.
    widthDivisor: given(v.width, () => intFlag(v.width, 'width', DEFAULTS.widthDivisor, 1)),
    bnMomentum: given(v['bn-momentum'], () => numFlag(v['bn-momentum'], 'bn-momentum', 0.99)),
    zeroInitResidual: !!v['zero-init-residual'],
    swapped: swapRanks?.blocks,
    blockRanks: swapRanks && Object.keys(swapRanks.ranks).length ? swapRanks.ranks : undefined,
    swap: protocol === 'baseline' || protocol === 'control' ? undefined : swap,
  };
  const epochs = intFlag(v.epochs, 'epochs', 1, v['init-from'] ? 0 : 1);
  const greedyFlags = [v.threshold, v['threshold-mode'], v['fine-tune-epochs'], v['select-on']].some((f) => f !== undefined);
  const greedy = {
    threshold: numFlag(v.threshold, 'threshold', DEFAULT_GREEDY.threshold),
    thresholdMode: choiceFlag(v['threshold-mode'], 'threshold-mode', ['absolute', 'relative'] as const, DEFAULT_GREEDY.thresholdMode),
    fineTuneEpochs: intFlag(v['fine-tune-epochs'], 'fine-tune-epochs', DEFAULT_GREEDY.fineTuneEpochs),
    secondPass: DEFAULT_GREEDY.secondPass,
    selectOn: selectOnFlag(v['select-on']),
  };
  const input = {
    name: v.name ?? '',
    protocol,
    data: { path: datasetPath(ctx), trainPerClass: intFlag(v['train-per-class'], 'train-per-class', 0), testPerClass: intFlag(v['test-per-class'], 'test-per-class', 0), augment: !v['no-augment'] },
    model: protocol === 'manual' ? { ...model, swapped: model.swapped ?? [] } : model,
    optimiser:
      lr === undefined && schedule === 'constant'
        ? { preset: preset as 'study' | 'fast' }
        : { preset: 'custom' as const, name: preset === 'study' ? ('rmsprop' as const) : ('adam' as const), centered: preset === 'study', learningRate: lr ?? OPTIMISER_PRESETS[preset as 'study' | 'fast'].learningRate, schedule },
    // Greedy fine-tunes per step and a sensitivity run does not train: epochs only when given (then refused).
    epochs: protocol === 'greedy' || protocol === 'sensitivity' ? given(v.epochs, () => epochs) : epochs,
    initFrom: given(v['init-from'], () => path.resolve(v['init-from']!)),
    batchSize: intFlag(v.batch, 'batch', DEFAULTS.batchSize, 1),
    seed: intFlag(v.seed, 'seed', DEFAULTS.seed),
    backend: choiceFlag(v.backend, 'backend', ['auto', ...BACKENDS] as const, 'auto'),
    baselineRunId: v.baseline,
    greedy: protocol === 'greedy' || greedyFlags ? greedy : undefined,
    ...validationFlag(v['val-fraction']),
    ...(v.budget ? { budget: { ...parseBudget(v.budget), sensitivityRunId: v.sensitivity! } } : {}),
  };
  // Unset keys are left out, so only what the user gave (or the protocol needs) reaches the schema.
  return JSON.parse(JSON.stringify(input)) as RunConfigInput;
}

/** `--select-on validation|test`: test is the study's protocol (it lets the test set choose). */
function selectOnFlag(v: string | undefined): SelectOn {
  return choiceFlag(v === 'study' ? 'test' : v, 'select-on', SELECT_ON, 'validation');
}

/** `--val-fraction 0.1` (0 = no split); absent: the host's default (10%, or the baseline's split). */
function validationFlag(v: string | undefined): { validation?: { fraction: number } } {
  const f = numFlag(v, 'val-fraction', undefined);
  if (f === undefined) return {};
  if (f < 0 || f > 0.5) throw new CliError(`--val-fraction must be 0 (no split) to 0.5, e.g. 0.1; got '${v}'`);
  return { validation: { fraction: f } };
}

async function finish(ctx: CommandContext, host: Host, id: string): Promise<number> {
  await host.idle();
  const run = await host.getRun(id);
  if (ctx.args.values.json) ctx.out(terminalJson(run));
  else ctx.out(runsTable([{ ...run, widthDivisor: run.config.model.widthDivisor }]));
  if (run.status === 'done') return 0;
  ctx.err(`run ${id} ended ${run.status}${run.statusReason ? `: ${run.statusReason}` : ''}\n`);
  return run.status === 'cancelled' ? 130 : 1;
}

const train: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const { id } = await host.startRun(trainConfig(ctx));
    ctx.err(`run ${id} started (store ${storeDir(ctx)})\n`);
    return finish(ctx, host, id);
  });

const resume: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const id = ctx.args.positionals[0];
    if (!id) throw new CliError('usage: dwswap resume RUN_ID');
    await host.resumeRun(id);
    return finish(ctx, host, id);
  });

const runs: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const list = await host.listRuns();
    ctx.out(ctx.args.values.json ? terminalJson(list) : list.length ? runsTable(list) : 'no runs yet; start one with dwswap train');
    return 0;
  });

const show: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const [id] = ctx.args.positionals;
    if (!id) throw new CliError('usage: dwswap show RUN_ID [--json]');
    const run = await host.getRun(id);
    ctx.out(ctx.args.values.json ? terminalJson(run) : showRun(run));
    return 0;
  });

const compare: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const ids = ctx.args.positionals;
    if (ctx.args.values.time) {
      ctx.err(`timing ${ids.length} model(s) in ONNX Runtime${ctx.args.values['no-engine'] ? '' : ' and the engine'}, alternated...\n`);
      await host.timeInference(ids, timingFlags(ctx.args.values));
    }
    const c = await host.compare(ids, ctx.args.values.ref);
    const records = await Promise.all(ids.map((i) => host.getRun(i)));
    ctx.out(ctx.args.values.json ? terminalJson(c) : comparisonMarkdown(c, records));
    return 0;
  });

const exportRun: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const [id, file] = ctx.args.positionals;
    if (!id || !file) throw new CliError('usage: dwswap export RUN_ID FILE.dwrun [--force]');
    // Through the host, as the app and the WebSocket clients go: the same path checks and safe write.
    const { path: written } = await host.exportRun(id, path.resolve(file), ctx.args.values.force === true);
    ctx.out(written);
    return 0;
  });

const importRun: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const [file] = ctx.args.positionals;
    if (!file) throw new CliError('usage: dwswap import FILE.dwrun');
    const { id } = await host.importRun(path.resolve(file));
    ctx.out(id);
    return 0;
  });

const remove: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const [id] = ctx.args.positionals;
    if (!id) throw new CliError('usage: dwswap delete RUN_ID');
    await host.deleteRun(id);
    return 0;
  });

const checkData: Command = async (ctx) => {
  const p = ctx.args.positionals[0] ?? ctx.args.values.data;
  if (!p) throw new CliError('usage: dwswap check-data PATH');
  const r = await checkDataset(path.resolve(p));
  ctx.out(ctx.args.values.json ? terminalJson(r) : r.message);
  return r.ok ? 0 : 2;
};

const reproduce: Command = (ctx) => {
  const job = { steps: [] as readonly JobStep[], index: 0, started: Date.now() };
  const decorate = (e: HostEvent, line: string) =>
    e.type === 'progress' ? `[${jobPosition(job.steps, job.index)}] ${line} | ${jobStatus(job.steps, job.index, e.fraction, (Date.now() - job.started) / 1000)}` : line;
  return withHost(ctx, async (host) => {
    if (ctx.args.positionals[0] !== 'seed') throw new CliError("usage: dwswap reproduce seed [--profile cpu|quick|full|smoke] [--data PATH] [--out DIR] [--backend auto|cpu|wasm|tensorflow|tensorflow-gpu|webgpu]");
    const name = ctx.args.values.profile ?? 'cpu';
    const profile = PROFILES[name as keyof typeof PROFILES];
    if (!profile) throw new CliError(`unknown --profile '${name}'; use cpu, quick, full or smoke`);
    const out = path.resolve(ctx.args.values.out ?? 'docs/results');
    const opts = { profile, dataPath: datasetPath(ctx), seed: intFlag(ctx.args.values.seed, 'seed', 42), backend: choiceFlag(ctx.args.values.backend, 'backend', ['auto', ...BACKENDS] as const, 'auto'), onRunStarted: (label: string, id: string) => ctx.err(`\n== run ${job.index + 1} of ${job.steps.length}: ${label} (run ${id})\n`), onStep: (steps: readonly JobStep[], index: number) => Object.assign(job, { steps, index }) };
    ctx.err(`reproduce seed, ${profile.description}\n`);
    const trained = await reproduceSeed(host, opts);
    ctx.err('\n== inference timing of the four models (ONNX Runtime + engine, alternated)\n');
    const result = await timeReproduced(host, trained, profile);
    const cli = `dwswap ${process.argv.slice(2).join(' ')}`;
    const script = process.env.npm_lifecycle_event;
    // The user's own arguments follow those the npm script passes (npm_lifecycle_script: "tsx …/main.ts reproduce seed --profile cpu").
    const scriptWords = (process.env.npm_lifecycle_script ?? '').trim().split(/\s+/);
    const own = process.argv.slice(2 + Math.max(0, scriptWords.length - 1 - scriptWords.findIndex((w) => w.endsWith('main.ts'))));
    const command = script ? `npm run ${script}${own.length ? ` -- ${own.join(' ')}` : ''} (${cli})` : cli;
    const doc = resultsJson(result, opts, command, APP_VERSION);
    fs.mkdirSync(out, { recursive: true });
    const stem = path.join(out, `reproduce-${profile.name}`);
    // Replaces the previous results of this profile (regular files only: never a link, device or FIFO).
    await writeUserFile(`${stem}.json`, Buffer.from(JSON.stringify(doc, null, 2) + '\n'), { overwrite: true });
    await writeUserFile(`${stem}.md`, Buffer.from(resultsMarkdown(result, doc)), { overwrite: true });
    ctx.out(fs.readFileSync(`${stem}.md`, 'utf8'));
    ctx.err(`wrote ${stem}.json and ${stem}.md\n`);
    return 0;
  }, decorate);
};

/** `dwswap sensitivity --baseline RUN [--ranks 1,2,4]`: the per-block table as a run; same data as the baseline. */
const sensitivity: Command = (ctx) =>
  withHost(ctx, async (host) => {
    const v = ctx.args.values;
    if (!v.baseline) throw new CliError('usage: dwswap sensitivity --baseline RUN_ID [--ranks 1,2,4] [--select-on validation|test] [--json]');
    const base = await host.getRun(v.baseline);
    const ranks = parseRanks(v.ranks);
    const { id } = await host.startRun({
      name: v.name ?? `sensitivity of ${base.name}`,
      protocol: 'sensitivity',
      baselineRunId: base.id,
      data: v.data ? { ...base.config.data, path: datasetPath(ctx) } : base.config.data,
      batchSize: intFlag(v.batch, 'batch', base.config.batchSize, 1),
      seed: intFlag(v.seed, 'seed', base.config.seed),
      backend: choiceFlag(v.backend, 'backend', ['auto', ...BACKENDS] as const, 'auto'),
      sensitivity: { ...(ranks ? { ranks } : {}), evaluateOn: selectOnFlag(v['select-on']), ...(v['bn-batches'] ? { bnRecalibrationBatches: intFlag(v['bn-batches'], 'bn-batches', 10) } : {}) },
    });
    ctx.err(`sensitivity run ${id} started (store ${storeDir(ctx)})\n`);
    await host.idle();
    const run = await host.getRun(id);
    const table = run.final?.sensitivity;
    if (run.status !== 'done' || !table) {
      ctx.err(`run ${id} ended ${run.status}${run.statusReason ? `: ${run.statusReason}` : ''}\n`);
      return run.status === 'cancelled' ? 130 : 1;
    }
    ctx.out(v.json ? JSON.stringify({ runId: id, baselineRunId: base.id, ...table }, null, 2) : sensitivityTable(table));
    return 0;
  });

const help: Command = async (ctx) => {
  ctx.out(USAGE);
  return 0;
};

export const COMMANDS: Record<string, Command> = {
  inspect,
  train,
  resume,
  runs,
  show,
  compare,
  export: exportRun,
  import: importRun,
  delete: remove,
  'check-data': checkData,
  'export-onnx': exportOnnx,
  'eval-onnx': evalOnnx,
  reproduce,
  sensitivity,
  help,
};
