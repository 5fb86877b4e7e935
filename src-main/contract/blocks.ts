/**
 * The architecture: ResNet-50's 16 bottleneck blocks, named as keras.applications names them.
 * Plain data, no dependencies: every layer (engine, store, host, UI) may import it.
 */

export const STAGES = [
  { stage: 2, blocks: 3, width: 64 },
  { stage: 3, blocks: 4, width: 128 },
  { stage: 4, blocks: 6, width: 256 },
  { stage: 5, blocks: 3, width: 512 },
] as const;

export interface BlockInfo {
  /** Keras layer prefix, e.g. `conv2_block1`. */
  name: string;
  /** The study's label, e.g. `conv2_1`. */
  label: string;
  stage: number;
  index: number;
  /** Base width (filters of the 3x3 conv) at full width. */
  baseWidth: number;
}

export const BLOCKS: readonly BlockInfo[] = STAGES.flatMap((s) =>
  Array.from({ length: s.blocks }, (_, i) => ({
    name: `conv${s.stage}_block${i + 1}`,
    label: `conv${s.stage}_${i + 1}`,
    stage: s.stage,
    index: i + 1,
    baseWidth: s.width,
  })),
);

export const BLOCK_NAMES: readonly string[] = BLOCKS.map((b) => b.name);

/** Accepts `conv2_block1`, `conv2_1` or `block_conv2_1`; returns the Keras name or null. */
export function normaliseBlockName(raw: string): string | null {
  const s = raw.trim().replace(/^block_/, '');
  const m = /^conv([2-5])_(?:block)?(\d+)$/.exec(s);
  if (!m) return null;
  const name = `conv${m[1]}_block${Number(m[2])}`;
  return BLOCK_NAMES.includes(name) ? name : null;
}

/** Number of swapped blocks out of all of them: "3 / 16". */
export function swapCount(n: number): string {
  return `${n} / ${BLOCKS.length}`;
}
