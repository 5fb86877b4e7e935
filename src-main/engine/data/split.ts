/**
 * A validation split carved from the training images: stratified (the same fraction of every
 * class), seeded (the same images for the same seed and slice), disjoint from what is trained on.
 */
import { mixSeed, permutation } from '../train';
import type { Split } from './types';

export interface SplitIndices {
  /** Indices into the training split, ascending. */
  train: Int32Array;
  val: Int32Array;
}

/** Images of a class of `count` held out: round(count * fraction), at least one while one stays to train on. */
export function heldOutCount(count: number, fraction: number): number {
  if (fraction <= 0 || count < 2) return 0;
  return Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
}

/** Per class, a seeded permutation of its indices; the first heldOutCount go to validation. */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): SplitIndices {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    const list = byClass.get(c) ?? [];
    list.push(i);
    byClass.set(c, list);
  }
  const val: number[] = [];
  for (const [c, idx] of byClass) {
    const order = permutation(idx.length, mixSeed(seed, c, 0x5a1));
    const k = heldOutCount(idx.length, fraction);
    for (let j = 0; j < k; j++) val.push(idx[order[j]]);
  }
  const held = new Set(val);
  const train: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!held.has(i)) train.push(i);
  return { train: Int32Array.from(train), val: Int32Array.from(val.sort((a, b) => a - b)) };
}

/** The images of `split` at `indices`, as a new Split. */
export function subset(split: Split, indices: ArrayLike<number>): Split {
  const size = split.images.length / Math.max(1, split.count);
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(split.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j];
  }
  return { images, labels, count: indices.length };
}
