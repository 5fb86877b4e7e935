/**
 * The protocols and their rules, as data: which need a trained baseline and which blocks each swaps.
 * Zod-free, so the sandboxed preload and any layer may import it.
 */
import { BLOCK_NAMES } from './blocks';

export const PROTOCOLS = ['baseline', 'greedy', 'ours', 'manual', 'control', 'sensitivity'] as const;
export type ProtocolKind = (typeof PROTOCOLS)[number];

export interface ProtocolRule {
  /** Whether a run starts from a trained baseline run (`baselineRunId`). */
  baseline: 'required' | 'optional' | 'none';
  /** Which blocks the run swaps: none, all 16, the user's selection, or decided by the greedy search. */
  swaps: 'none' | 'all' | 'selection' | 'greedy';
}

export const PROTOCOL_RULES: Record<ProtocolKind, ProtocolRule> = {
  baseline: { baseline: 'none', swaps: 'none' },
  greedy: { baseline: 'required', swaps: 'greedy' },
  ours: { baseline: 'required', swaps: 'all' },
  manual: { baseline: 'optional', swaps: 'selection' },
  control: { baseline: 'required', swaps: 'none' },
  /** Tries every block alone (one at a time, never kept): the run itself swaps none. */
  sensitivity: { baseline: 'required', swaps: 'none' },
};

/** The blocks a run starts with swapped: the selection (manual), all 16 (ours), none otherwise. */
export function startingSwapped(protocol: ProtocolKind, selection: readonly string[] = []): string[] {
  const mode = PROTOCOL_RULES[protocol].swaps;
  if (mode === 'all') return [...BLOCK_NAMES];
  if (mode === 'selection') return BLOCK_NAMES.filter((b) => selection.includes(b));
  return [];
}

/** The blocks a run may swap at some point: its starting ones, or all 16 for the greedy search. */
export function swappableBlocks(protocol: ProtocolKind, selection: readonly string[] = []): string[] {
  return PROTOCOL_RULES[protocol].swaps === 'greedy' ? [...BLOCK_NAMES] : startingSwapped(protocol, selection);
}
