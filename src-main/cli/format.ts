/** Plain-text rendering for the CLI: tables, progress lines. */
import { SELECT_ON_LABEL, swapCount, type HostEvent, type InspectResult, type RunRecord, type RunSummary, type SensitivityResult } from '../contract';

export const USAGE = `dwswap — ResNet-50 depthwise-separable swap workbench (headless)

  dwswap inspect [--swap all|none|LIST] [--width N] [--depth-multiplier R] [--bn-between] [--json]
  dwswap train --protocol baseline|greedy|ours|manual|control --data PATH [--epochs N] [--batch N]
               [--width N] [--train-per-class N] [--test-per-class N] [--optimiser study|fast] [--lr X] [--schedule constant|cosine]
               [--seed N] [--backend auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu] [--baseline RUN_ID]
               [--swap LIST] [--init svd|random] [--threshold X] [--threshold-mode absolute|relative]
               [--fine-tune-epochs N] [--bn-momentum X] [--zero-init-residual] [--init-from MODEL_DIR]
               [--no-augment] [--name TEXT] [--json]
               (each protocol takes its own flags: greedy --fine-tune-epochs, not --epochs; only
                baseline --init-from; only manual --swap; a flag of another protocol is refused by name)
  dwswap runs [--json]            dwswap show RUN_ID [--json]   dwswap resume RUN_ID   dwswap delete RUN_ID
  dwswap compare RUN_ID... [--ref RUN_ID] [--json|--md] [--time [--batches 1,64] [--repeats N] [--threads N]
               [--provider auto|cpu|cuda|webgpu] [--no-engine]]   (--time: ONNX Runtime + engine, alternated)
  dwswap export RUN_ID FILE.dwrun [--force]   dwswap import FILE.dwrun   dwswap check-data PATH
  dwswap export-onnx RUN_ID FILE.onnx            dwswap eval-onnx FILE.onnx [--data PATH] [--test-per-class N]
  dwswap inspect --latency [--width N] [--refresh] [--json]   (per-block dense vs DW+1x1 in ONNX Runtime)
  dwswap reproduce seed [--profile cpu|quick|full|smoke] [--data PATH] [--out DIR] [--backend NAME] [--seed N]
  dwswap sensitivity --baseline RUN_ID [--ranks 1,2,4] [--select-on validation|test] [--bn-batches N] [--json]

  --swap conv2_1:2,conv4_3:1   a depth multiplier per block (r <= min(9, N)); --depth-multiplier R for the rest
  --val-fraction X   validation split carved from the training images (default 0.1; a run from a
                     baseline uses the baseline's); greedy keeps swaps by accuracy on it
  --select-on test   the study's exact protocol: greedy chooses by TEST accuracy (leaks the test set)
  --budget KIND:V    with --protocol ours --sensitivity RUN_ID: params|mib|macs|ms, absolute or % of the
                     classical (e.g. params:70%, ms:60% = inference ms/image in ONNX Runtime, from
                     the sensitivity run's latency table); blocks and r chosen to minimise the predicted loss
  --store DIR   where runs are kept (default ./data, or $DWSWAP_HOME)
  $DWSWAP_MEMORY_MB  memory a run may plan for; a run needing more is refused (default: this machine's RAM)
  LIST          block names separated by commas: conv2_1,conv3_2 (or conv2_block1, block_conv2_1)
  Ctrl-C cancels a run after its current batch; dwswap resume continues from its last checkpoint.`;

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const num = (n: number) => n.toLocaleString('en-US');

export function inspectTable(r: InspectResult): string {
  const head = `${pad('block', 9)} ${pad('conv', 13)} ${lpad('M', 5)} ${lpad('N', 5)} ${lpad('N*M*D^2', 10)} ${lpad('M*(D^2+N)', 10)} ${lpad('3x3 params', 11)} ${lpad('block params', 13)}`;
  const rows = r.blocks.map(
    (b) =>
      `${pad(b.label, 9)} ${pad(b.swapped ? 'DW3x3+1x1' : 'Conv2D 3x3', 13)} ${lpad(String(b.inChannels), 5)} ${lpad(String(b.filters), 5)} ${lpad(num(b.formulaClassical), 10)} ${lpad(num(b.formulaSeparable), 10)} ${lpad(num(b.convParams), 11)} ${lpad(num(b.params), 13)}`,
  );
  const totals = [
    `total parameters   ${num(r.totalParams)} (${(r.totalParams / 1e6).toFixed(2)}M), ${r.weightsMiB.toFixed(2)} MiB of float32 weights`,
    `classical model    ${num(r.classicalParams)} (${(r.classicalParams / 1e6).toFixed(2)}M), ${r.classicalWeightsMiB.toFixed(2)} MiB`,
    `removed            ${num(r.savedParams)} parameters (${r.savedPercent.toFixed(2)}%) by ${swapCount(r.blocks.filter((b) => b.swapped).length)} swaps`,
  ];
  return [head, ...rows, '', ...totals].join('\n');
}

export function runsTable(runs: RunSummary[]): string {
  const head = `${pad('id', 18)} ${pad('protocol', 11)} ${pad('status', 11)} ${lpad('width', 5)} ${lpad('swaps', 5)} ${lpad('val acc', 8)} ${lpad('test acc', 8)} ${lpad('params', 10)} ${lpad('MiB', 7)}  name`;
  const rows = runs.map((r) => {
    const f = r.final;
    // val acc: '-' for runs without a validation split (stored before splits, or fraction 0)
    const val = f?.valAcc === null || f?.valAcc === undefined ? '-' : f.valAcc.toFixed(4);
    return `${pad(r.id, 18)} ${pad(r.protocol, 11)} ${pad(r.status, 11)} ${lpad(`1/${r.widthDivisor}`, 5)} ${lpad(f ? String(f.blocksSwapped) : '-', 5)} ${lpad(val, 8)} ${lpad(f ? f.testAcc.toFixed(4) : '-', 8)} ${lpad(f ? num(f.params) : '-', 10)} ${lpad(f ? f.weightsMiB.toFixed(2) : '-', 7)}  ${r.name}${originNote(r)}`;
  });
  return [head, ...rows].join('\n');
}

/** ` [imported from X]`, with `, unverified` when a check on its record failed; '' for runs made here. */
export function originNote(r: Pick<RunSummary, 'origin'>): string {
  if (!r.origin) return '';
  return ` [imported${r.origin.checks.passed ? '' : ', UNVERIFIED'} from ${r.origin.file}]`;
}

/** `dwswap show`: the run's summary lines, and where it came from with the checks on its record. */
export function showRun(r: RunRecord): string {
  const f = r.final;
  const lines = [
    `id        ${r.id}`,
    `name      ${r.name}`,
    `protocol  ${r.protocol}, width 1/${r.config.model.widthDivisor}, ${r.swapped.length} blocks swapped`,
    `status    ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}`,
    `final     ${f ? `test acc ${f.testAcc.toFixed(4)}, ${num(f.params)} params, ${f.weightsMiB.toFixed(2)} MiB` : '-'}`,
    `made by   workbench ${r.appVersion} on ${r.backend ?? '?'}`,
  ];
  if (r.origin) {
    const o = r.origin;
    lines.push(`imported  from ${o.file} on ${o.importedAt}${o.host ? ` (exported on ${o.host})` : ''}`);
    lines.push(`checks    ${o.checks.passed ? 'passed' : 'NOT all passed'}`);
    for (const n of o.checks.notes) lines.push(`          - ${n}`);
  }
  return lines.join('\n');
}

/** The sensitivity table, one line per (block, r). */
export function sensitivityTable(t: SensitivityResult): string {
  const ms = (r: SensitivityResult['rows'][number]) => (r.msSaved == null ? '' : ` ${lpad(r.msSaved.toFixed(4), 9)}`);
  const head = `${pad('block', 9)} ${lpad('r', 2)} ${lpad('acc', 7)} ${lpad('drop', 8)} ${lpad('kernel err', 10)} ${lpad('params saved', 12)} ${lpad('MiB saved', 9)} ${lpad('MACs saved', 12)}${t.latency ? ` ${lpad('ms saved', 9)}` : ''}`;
  const rows = t.rows.map(
    (r) =>
      `${pad(r.label, 9)} ${lpad(String(r.r), 2)} ${lpad(r.acc.toFixed(4), 7)} ${lpad(r.drop.toFixed(4), 8)} ${lpad(r.kernelError.toFixed(4), 10)} ${lpad(num(r.paramsSaved), 12)} ${lpad(r.mibSaved.toFixed(4), 9)} ${lpad(num(r.costSaved), 12)}${ms(r)}`,
  );
  const l = t.latency;
  const latency = l
    ? [`ms saved: per image in ONNX Runtime ${l.ortVersion} (${l.provider}, ${l.threads} thread, batch ${l.batch}), the block's dense 3x3 conv minus its replacement; classical model ${l.classicalMs.toFixed(4)} ms/image`]
    : t.latencyNote
      ? [`no inference-time column: ${t.latencyNote}`]
      : [];
  const foot = `baseline accuracy ${t.baselineAcc.toFixed(4)} on ${t.images} images of the ${SELECT_ON_LABEL[t.evaluatedOn]}; SVD init + BatchNorm re-estimation, no training; ${t.seconds.toFixed(1)} s`;
  const skipped = t.skipped.length ? [`left out: ${t.skipped.map((s) => `${s.block} r=${s.r} (${s.reason})`).join(', ')}`] : [];
  return [head, ...rows, '', foot, ...latency, ...skipped].join('\n');
}

function eta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One line for an event, or null for events the CLI does not show. */
export function formatEvent(e: HostEvent): string | null {
  switch (e.type) {
    case 'progress':
      return `${e.phase} epoch ${e.epoch + 1}/${e.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} acc ${e.acc.toFixed(3)} | ${e.samplesPerSec.toFixed(0)} img/s | ETA ${eta(e.etaSeconds)} | run ${(e.fraction * 100).toFixed(0)}%`;
    case 'epoch': {
      const m = e.metrics;
      const train = m.trainAcc === null ? '' : ` train acc ${m.trainAcc.toFixed(4)}`;
      const test = m.testAcc === null ? '' : ` test acc ${m.testAcc.toFixed(4)}`;
      return `${m.phase} epoch ${m.epoch}: loss ${m.loss.toFixed(4)}${train}${test} (${m.seconds.toFixed(1)} s, ${m.samplesPerSec.toFixed(0)} img/s)`;
    }
    case 'greedy':
      return `greedy pass ${e.record.pass} ${e.record.label}: test acc ${e.record.testAcc.toFixed(4)} -> ${e.record.kept ? 'kept' : 'reverted'}`;
    case 'status':
      return `status ${e.status}${e.reason ? `: ${e.reason}` : ''}`;
    case 'log':
      return e.message;
  }
}
