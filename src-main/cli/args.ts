/** Command-line parsing for dwswap (node:util parseArgs, strict: unknown flags are errors). */
import { parseArgs } from 'node:util';
import { BLOCK_NAMES, normaliseBlockName } from '../api';

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
  seed: { type: 'string' },
  backend: { type: 'string' },
  baseline: { type: 'string' },
  threshold: { type: 'string' },
  'threshold-mode': { type: 'string' },
  'fine-tune-epochs': { type: 'string' },
  'no-augment': { type: 'boolean' },
  'bn-momentum': { type: 'string' },
  name: { type: 'string' },
  ref: { type: 'string' },
  profile: { type: 'string' },
  out: { type: 'string' },
} as const;

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface ParsedCli {
  command: string;
  positionals: string[];
  values: CliValues;
}

export function parseCli(argv: string[]): ParsedCli {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
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

export function numFlag(v: string | undefined, name: string, dflt: number | undefined): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got '${v}'`);
  return n;
}

/** `all`, `none`, or a comma list of block names (conv2_1, conv2_block1 or block_conv2_1). */
export function parseSwap(v: string | undefined): string[] {
  if (v === undefined || v === 'none' || v === '') return [];
  if (v === 'all') return [...BLOCK_NAMES];
  return v.split(',').map((s) => {
    const n = normaliseBlockName(s);
    if (!n) throw new CliError(`unknown block '${s.trim()}' in --swap; use all, none, or names conv2_1 ... conv5_3`);
    return n;
  });
}
