/**
 * Settings that parse but would be silently odd, refused at the host's boundary with the field and
 * the fix (whatever the transport): a block swapped "twice", a baseline run given to the protocol
 * that trains one, and a structure setting (width, BatchNorm momentum) that a run from a baseline
 * or an imported model would silently replace with that model's own.
 *
 * `baselineRunId` on the baseline protocol is refused by the schema itself (RunConfig is a union
 * on `protocol`, a field of another protocol refused by name), so it needs no check here.
 */
import { BLOCKS, type RunConfig } from '../contract';
import { HostError } from './errors';

const label = (name: string) => BLOCKS.find((b) => b.name === name)?.label ?? name;

/** Each block at most once in model.swapped (names are normalised, so conv2_1 and conv2_block1 are one). */
export function checkSwapList(config: RunConfig): void {
  if (config.protocol !== 'manual') return; // only manual takes a list (others' is refused by the schema)
  const seen = new Set<string>();
  for (const b of config.model.swapped) {
    if (seen.has(b))
      throw new HostError('bad-input', `block ${label(b)} is listed twice in model.swapped; list each block once`, 'model.swapped');
    seen.add(b);
  }
}

type Inherited = Pick<RunConfig['model'], 'widthDivisor' | 'bnMomentum'>;
const INHERITED: { key: keyof Inherited; what: string; show: (v: number) => string }[] = [
  { key: 'widthDivisor', what: 'width', show: (v) => `1/${v}` },
  { key: 'bnMomentum', what: 'BatchNorm momentum', show: (v) => String(v) },
];

/**
 * A structure setting the request gave explicitly must match the model the run starts from
 * (`from`, named by `source`), since that model's own is what the run gets.
 */
export function checkInherited(input: unknown, from: Inherited, source: string): void {
  const given = (input as { model?: Partial<Record<keyof Inherited, unknown>> } | null)?.model ?? {};
  for (const { key, what, show } of INHERITED) {
    const v = given[key];
    if (typeof v === 'number' && v !== from[key]) {
      throw new HostError(
        'bad-input',
        `${source} has ${what} ${show(from[key])}, which the run takes from it, but ${show(v)} was asked; leave model.${key} out or set it to ${from[key]}`,
        `model.${key}`,
      );
    }
  }
}
