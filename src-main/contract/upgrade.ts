/**
 * Configurations stored before RunConfig became a union on `protocol` (app 0.1.0, store schema v2)
 * carried every field for every protocol: an `ours` run its 16 swapped blocks (or none, from the
 * CLI), a greedy run unused `epochs`, every run `greedy` and `distill` settings, and the optimiser
 * as a preset name the engine resolved. `upgradeRunConfig` keeps what ran and drops the rest, so the
 * result parses as today's RunConfig. A configuration already in today's shape passes unchanged.
 */
import { OPTIMISER_PRESETS } from './config';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields each protocol keeps at the top level and in `model` beyond the common ones. */
const OWN: Record<string, { top: string[]; model: string[] }> = {
  baseline: { top: ['epochs', 'initFrom'], model: [] },
  greedy: { top: ['baselineRunId', 'greedy'], model: ['swap'] },
  ours: { top: ['baselineRunId', 'epochs', 'distill', 'budget'], model: ['swap', 'blockRanks'] },
  manual: { top: ['baselineRunId', 'epochs'], model: ['swapped', 'swap', 'blockRanks'] },
  control: { top: ['baselineRunId', 'epochs'], model: [] },
  sensitivity: { top: ['baselineRunId', 'sensitivity'], model: ['swap'] },
};
const COMMON_TOP = ['name', 'protocol', 'model', 'data', 'optimiser', 'batchSize', 'seed', 'backend', 'inferenceBatch', 'validation'];
const COMMON_MODEL = ['widthDivisor', 'head', 'classes', 'zeroInitResidual', 'bnMomentum', 'inputSize'];

function pick(o: Json, keys: readonly string[]): Json {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined && o[k] !== null).map((k) => [k, o[k]]));
}

/** Today's shape of a stored configuration (unknown input is returned as it is, for the schema to refuse). */
export function upgradeRunConfig(raw: unknown): unknown {
  if (!isObject(raw) || typeof raw.protocol !== 'string' || !(raw.protocol in OWN)) return raw;
  const own = OWN[raw.protocol];
  const out = pick(raw, [...COMMON_TOP, ...own.top]);
  if (isObject(raw.model)) {
    const model = pick(raw.model, [...COMMON_MODEL, ...own.model]);
    if (raw.protocol === 'ours' && isObject(model.swap)) model.swap = { ...model.swap, init: 'svd' };
    out.model = model;
  }
  if (isObject(raw.optimiser)) {
    const preset = raw.optimiser.preset;
    if (preset === 'study' || preset === 'fast') out.optimiser = { ...OPTIMISER_PRESETS[preset] };
  }
  return out;
}
