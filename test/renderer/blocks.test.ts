import { describe, expect, it } from 'vitest';
import type { GreedyRecord } from '../../src-main/contract';
import {
  blockInPhase,
  blockLayers,
  blockStates,
  latestGreedy,
  stageResolution,
} from '../../src-renderer/src/lib/blocks';

const g = (block: string, pass: 1 | 2, kept: boolean): GreedyRecord => ({
  block,
  label: block,
  pass,
  testAcc: 0.7,
  kept,
});

describe('block states', () => {
  it('marks swapped and classic blocks from the configuration', () => {
    const s = blockStates(['conv2_block1'], null);
    expect(s.conv2_block1).toBe('swapped');
    expect(s.conv5_block3).toBe('classic');
    expect(Object.keys(s)).toHaveLength(16);
  });

  it('for a greedy run: kept, reverted or pending, the second pass overriding the first', () => {
    const recs = [g('conv2_block1', 1, true), g('conv2_block2', 1, false), g('conv2_block1', 2, false)];
    expect(latestGreedy(recs).get('conv2_block1')?.pass).toBe(2);
    const s = blockStates([], recs);
    expect(s.conv2_block1).toBe('reverted');
    expect(s.conv2_block2).toBe('reverted');
    expect(s.conv2_block3).toBe('pending');
  });

  it('lists 1x1 / 3x3 / 1x1 or 1x1 / DW 3x3 + 1x1 / 1x1 at the given width', () => {
    expect(blockLayers(64, 1, false).map((l) => l.text)).toEqual(['1×1, 64', '3×3, 64', '1×1, 256']);
    expect(blockLayers(512, 8, true, 2).map((l) => l.kind)).toEqual(['1x1', 'dw', 'pw', '1x1']);
    expect(blockLayers(512, 8, true, 2)[1].text).toBe('DW 3×3 ×2');
    expect(blockLayers(512, 8, true)[3].text).toBe('1×1, 256');
  });

  it('computes feature-map sizes for a 32x32 input (stem /4, then /2 per stage)', () => {
    expect([2, 3, 4, 5].map((s) => stageResolution(32, s))).toEqual([8, 4, 2, 1]);
  });

  it('finds the block a phase names', () => {
    expect(blockInPhase('greedy fine-tune conv3_block4 (pass 1)')).toBe('conv3_block4');
    expect(blockInPhase('swap conv4_2')).toBe('conv4_block2');
    expect(blockInPhase('train')).toBeNull();
    expect(blockInPhase('conv9_block1')).toBeNull();
  });
});
