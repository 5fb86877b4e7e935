import { describe, expect, it } from 'vitest';
import { BLOCKS, normaliseBlockName, RunConfigSchema } from '../src-main/contract';

describe('contract', () => {
  it('lists the 16 bottleneck blocks in Keras order with the study labels', () => {
    expect(BLOCKS).toHaveLength(16);
    expect(BLOCKS[0]).toMatchObject({ name: 'conv2_block1', label: 'conv2_1', baseWidth: 64 });
    expect(BLOCKS[15]).toMatchObject({ name: 'conv5_block3', label: 'conv5_3', baseWidth: 512 });
  });
  it('normalises the three spellings of a block name and rejects others', () => {
    expect(normaliseBlockName('conv3_2')).toBe('conv3_block2');
    expect(normaliseBlockName('block_conv4_6')).toBe('conv4_block6');
    expect(normaliseBlockName('conv5_block3')).toBe('conv5_block3');
    expect(normaliseBlockName('conv5_4')).toBeNull();
    expect(normaliseBlockName('conv1')).toBeNull();
  });
  it('rejects impossible settings with a message naming the field', () => {
    const r = RunConfigSchema.safeParse({ protocol: 'baseline', data: { path: 'x' }, epochs: 0, batchSize: 32 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('epochs must be at least 1');
  });
});
