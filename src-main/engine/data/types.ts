/** Shared types, constants and the one error class of the CIFAR-10 loader. */

export const IMAGE_SIDE = 32;
export const CHANNELS = 3;
/** Bytes of one decoded image, 32*32*3, HWC RGB. */
export const IMAGE_BYTES = IMAGE_SIDE * IMAGE_SIDE * CHANNELS;

/** The class names of CIFAR-10 in label order (also alphabetical). */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** A problem with a dataset; the message names the problem and the fix on one line. */
/** A dataset that cannot be used: bad input, so it carries the contract's `bad-input` code. */
export class DataError extends Error {
  override name = 'DataError';
  readonly code = 'bad-input';
}

export interface Split {
  /** count*32*32*3 bytes, HWC RGB. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export type Layout = 'zip' | 'folder' | 'binary';

export interface Cifar {
  train: Split;
  test: Split;
  /** Class names; index = label. */
  classes: string[];
  layout: Layout;
  /** sha256 (hex) of the source: the zip file, the concatenated binary batches, or a folder's file list. */
  checksum: string;
  /** `cache` when the decoded arrays came from cacheDir, `decoded` when read from the source. */
  source: 'decoded' | 'cache';
}

export interface LoadOptions {
  /** Keep only the first N training images of each class (0 or undefined = all). */
  trainPerClass?: number;
  /** Keep only the first N test images of each class (0 or undefined = all). */
  testPerClass?: number;
  /** Where decoded arrays are cached; undefined = no cache. Nothing is written outside it. */
  cacheDir?: string;
  /** Images decoded so far out of the images to decode. */
  onProgress?: (done: number, total: number) => void;
}

export type SplitName = 'train' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'test'];

/** Per-class limit from an option: 0, undefined or negative mean "all". */
export function perClassLimit(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n) || n <= 0) return Number.POSITIVE_INFINITY;
  return Math.floor(n);
}

/** Gives the event loop a turn so long loads do not starve timers and IPC. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A file-system error's code (`ENOENT`, `EACCES`...), else its message: the reason, without the path. */
export function ioReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : errorText(e);
}
