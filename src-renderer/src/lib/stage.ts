/**
 * Where a run is in its own sequence of phases, for the live view: a greedy run is "step k of n"
 * (16 steps in pass 1, then one per block pass 1 rejected), ours is "phase 2 of 2" after its SVD +
 * BN measurement. Null when a run has a single phase.
 */
import type { GreedyRecord, ProtocolKind } from '@contract';

export function runStage(
  protocol: ProtocolKind,
  phase: string | null,
  greedy: readonly GreedyRecord[],
  secondPass: boolean,
  blocks = 16,
): string | null {
  if (protocol === 'ours' && phase)
    return phase === 'distill' ? 'phase 2 of 2: distillation' : 'phase 1 of 2: SVD + BN';
  if (protocol !== 'greedy') return null;
  const pass1 = greedy.filter((g) => g.pass === 1);
  const firstDone = pass1.length >= blocks;
  const rejected = pass1.filter((g) => !g.kept).length;
  const step = Math.min(greedy.length + 1, firstDone && secondPass ? blocks + rejected : blocks);
  if (!firstDone) return `step ${step} of ${blocks}${secondPass ? ' (pass 1; pass 2 retries the rejected)' : ''}`;
  return secondPass ? `step ${step} of ${blocks + rejected} (pass 2)` : `step ${step} of ${blocks}`;
}
