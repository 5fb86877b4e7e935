/** Command-line parsing for dwswap (node:util parseArgs, strict: unknown flags are errors). */
import { parseArgs } from 'node:util';
import { BLOCK_NAMES, normaliseBlockName, type BudgetKind } from '../contract';

export class CliError extends Error {
  readonly code = 'bad-input';
}

const OPTIONS = {
  json: { type: 'boolean' },
  md: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  swap: { type: 'string' },
  width: { type: 'string' },
  'depth-multiplier': { type: 'string' },
  init: { type: 'string' },
  'bn-between': { type: 'boolean' },
  'relu-between': { type: 'boolean' },
  protocol: { type: 'string' },
  data: { type: 'string' },
  store: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  'train-per-class': { type: 'string' },
  'test-per-class': { type: 'string' },
  optimiser: { type: 'string' },
  lr: { type: 'string' },
  schedule: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  baseline: { type: 'string' },
  threshold: { type: 'string' },
  'threshold-mode': { type: 'string' },
  'fine-tune-epochs': { type: 'string' },
  'no-augment': { type: 'boolean' },
  'bn-momentum': { type: 'string' },
  'zero-init-residual': { type: 'boolean' },
  'init-from': { type: 'string' },
  name: { type: 'string' },
  ref: { type: 'string' },
  profile: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  latency: { type: 'boolean' },
  refresh: { type: 'boolean' },
  time: { type: 'boolean' },
  batches: { type: 'string' },
  repeats: { type: 'string' },
  threads: { type: 'string' },
  provider: { type: 'string' },
  'no-engine': { type: 'boolean' },
  ranks: { type: 'string' },
  'val-fraction': { type: 'string' },
  'select-on': { type: 'string' },
  budget: { type: 'string' },
  sensitivity: { type: 'string' },
  'bn-batches': { type: 'string' },
} as const;

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface ParsedCli {
  command: string;
  positionals: string[];
  values: CliValues;
}

/**
 * `--batch -3` as `--batch=-3`: parseArgs takes a value starting with `-` for another option and
 * refuses it as ambiguous; joined, the value reaches its own check, which names the fix.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    const takesValue = name !== null && (OPTIONS as Record<string, { type: string }>)[name]?.type === 'string';
    if (takesValue && /^-\.?\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export function parseCli(argv: string[]): ParsedCli {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]}; run dwswap --help`);
  }
  const [command = 'help', ...positionals] = parsed.positionals;
  return { command: parsed.values.help ? 'help' : command, positionals, values: parsed.values };
}

/** An integer flag, or the default; a clear error otherwise. */
export function intFlag(v: string | undefined, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** A number flag that must be > 0, or undefined when not given. */
export function positiveFlag(v: string | undefined, name: string, example: string): number | undefined {
  const n = numFlag(v, name, undefined);
  if (n !== undefined && !(n > 0)) throw new CliError(`--${name} must be greater than 0 (e.g. ${example}), got '${v}'`);
  return n;
}

/** One of `choices`, or the default; the error lists them. */
export function choiceFlag<T extends string>(v: string | undefined, name: string, choices: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(choices as readonly string[]).includes(v))
    throw new CliError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

export function numFlag(v: string | undefined, name: string, dflt: number | undefined): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got '${v}'`);
  return n;
}

/**
 * `--swap`: `all`, `none`, or a comma list of block names (conv2_1, conv2_block1 or block_conv2_1),
 * each optionally with its own depth multiplier after a colon (conv2_1:2,conv4_3). Returns the
 * blocks and the per-block multipliers given.
 */
export function parseSwapRanks(v: string | undefined): { blocks: string[]; ranks: Record<string, number> } {
  if (v === undefined || v === 'none' || v === '') return { blocks: [], ranks: {} };
  if (v === 'all') return { blocks: [...BLOCK_NAMES], ranks: {} };
  const ranks: Record<string, number> = {};
  const seen: string[] = [];
  const blocks = v.split(',').map((item) => {
    const [s, r] = item.split(':');
    const n = normaliseBlockName(s);
    if (!n) throw new CliError(`unknown block '${s.trim()}' in --swap; use all, none, or names conv2_1 ... conv5_3 (optionally with :r, e.g. conv2_1:2)`);
    if (seen.includes(n)) throw new CliError(`block '${s.trim()}' is listed twice in --swap; list each block once`);
    seen.push(n);
    if (r !== undefined) {
      const k = Number(r);
      if (!Number.isInteger(k) || k < 1 || k > 9) throw new CliError(`depth multiplier '${r}' for ${s.trim()} in --swap must be a whole number 1 to 9, e.g. conv2_1:2`);
      ranks[n] = k;
    }
    return n;
  });
  return { blocks, ranks };
}

/** `1,2,4`: depth multipliers for a sensitivity analysis. */
export function parseRanks(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => {
    const k = Number(s);
    if (!Number.isInteger(k) || k < 1 || k > 9) throw new CliError(`--ranks takes whole numbers 1 to 9 separated by commas (e.g. 1,2,4), got '${s.trim()}'`);
    return k;
  });
}

/** `params:70%`, `mib:80%`, `macs:50%`, `ms:60%`, `params:20000`: a budget's kind, value and unit (ms = ms/image in ONNX Runtime). */
export function parseBudget(v: string): { kind: BudgetKind; value: number; unit: 'absolute' | 'percent' } {
  const m = /^(params|mib|macs|ms):([0-9.e+]+)(%?)$/.exec(v.trim());
  const value = m ? Number(m[2]) : NaN;
  if (!m || !(value > 0)) throw new CliError(`--budget must be KIND:VALUE with KIND params, mib, macs or ms (inference ms/image in ONNX Runtime) and VALUE a number or percentage of the classical model, e.g. params:70%, mib:0.3 or ms:60%; got '${v}'`);
  return { kind: m[1] as BudgetKind, value, unit: m[3] ? 'percent' : 'absolute' };
}
