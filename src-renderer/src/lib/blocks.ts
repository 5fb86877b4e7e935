/** What the diagram and the greedy table show about each block (pure). */
import { BLOCKS, normaliseBlockName, type GreedyRecord } from '@contract';

/** kept/reverted come from the greedy search; swapped/classic from the configuration. */
export type BlockState = 'classic' | 'swapped' | 'kept' | 'reverted' | 'pending';

/** The latest greedy decision per block (pass 2 overrides pass 1). */
export function latestGreedy(records: readonly GreedyRecord[]): Map<string, GreedyRecord> {
  const out = new Map<string, GreedyRecord>();
  for (const r of records) {
    const prev = out.get(r.block);
    if (!prev || r.pass >= prev.pass) out.set(r.block, r);
  }
  return out;
}

/**
 * Block states for a greedy run: kept or reverted once decided, pending before. For other runs:
 * swapped or classic from the list of swapped blocks.
 */
export function blockStates(
  swapped: readonly string[],
  greedy: readonly GreedyRecord[] | null,
): Record<string, BlockState> {
  const out: Record<string, BlockState> = {};
  const latest = greedy ? latestGreedy(greedy) : null;
  for (const b of BLOCKS) {
    if (latest) {
      const r = latest.get(b.name);
      out[b.name] = r ? (r.kept ? 'kept' : 'reverted') : 'pending';
    } else {
      out[b.name] = swapped.includes(b.name) ? 'swapped' : 'classic';
    }
  }
  return out;
}

/** Spatial size of a stage's feature maps for a square input: stem /4, then /1, /2, /2, /2. */
export function stageResolution(inputSize: number, stage: number): number {
  return Math.max(1, Math.floor(inputSize / 2 ** stage));
}

export interface LayerSpec {
  kind: '1x1' | '3x3' | 'dw' | 'pw';
  text: string;
}

/** The convs of one bottleneck block at the given width divisor and depth multiplier. */
export function blockLayers(baseWidth: number, divisor: number, swapped: boolean, depthMultiplier = 1): LayerSpec[] {
  const w = Math.max(1, Math.floor(baseWidth / divisor));
  const middle: LayerSpec[] = swapped
    ? [
        { kind: 'dw', text: depthMultiplier > 1 ? `DW 3×3 ×${depthMultiplier}` : 'DW 3×3' },
        // The pointwise conv maps back to w channels; the chip only has room for its kernel.
        { kind: 'pw', text: '1×1' },
      ]
    : [{ kind: '3x3', text: `3×3, ${w}` }];
  return [{ kind: '1x1', text: `1×1, ${w}` }, ...middle, { kind: '1x1', text: `1×1, ${w * 4}` }];
}

/** The block a phase string names, if any ("greedy:conv3_block2 pass 1" -> "conv3_block2"). */
export function blockInPhase(phase: string | null | undefined): string | null {
  const m = /conv[2-5]_(?:block)?\d+/.exec(phase ?? '');
  return m ? normaliseBlockName(m[0]) : null;
}
