/**
 * The original CIFAR-10 binary release (`cifar-10-batches-bin`): records of 1 label byte and 3072
 * bytes in CHW order (1024 red, 1024 green, 1024 blue, each row-major), converted here to HWC.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_CLASSES, DataError, IMAGE_BYTES, type Split, type SplitName } from './types';

export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const TRAIN_BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_BATCH = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';
const PLANE = IMAGE_BYTES / 3;

export function hasBinaryBatches(dir: string): boolean {
  return [...TRAIN_BATCHES, TEST_BATCH].some((f) => existsSync(join(dir, f)));
}

/** The batch files of each split, checked for presence and whole records. */
export function binaryFiles(dir: string): Record<SplitName, string[]> {
  const files = { train: TRAIN_BATCHES.map((f) => join(dir, f)), test: [join(dir, TEST_BATCH)] };
  for (const [split, list] of Object.entries(files)) {
    let total = 0;
    for (const f of list) {
      if (!existsSync(f)) {
        throw new DataError(
          `incomplete cifar-10-batches-bin: ${f} is missing — it needs data_batch_1..5.bin and test_batch.bin; re-extract cifar-10-binary.tar.gz`,
        );
      }
      const size = statSync(f).size;
      if (size % RECORD_BYTES !== 0) {
        throw new DataError(
          `${f} is ${size} bytes, not a whole number of ${RECORD_BYTES}-byte records — re-extract it`,
        );
      }
      total += size;
    }
    if (total === 0)
      throw new DataError(`the ${split} batches in ${dir} hold no records — re-extract cifar-10-binary.tar.gz`);
  }
  return files;
}

/** Class names from batches.meta.txt (one a line), or CIFAR-10's names when the file is absent. */
export function binaryClasses(dir: string): string[] {
  const meta = join(dir, META_FILE);
  if (!existsSync(meta)) return [...CIFAR10_CLASSES];
  const names = readFileSync(meta, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length < 2 || names.length > 256) {
    throw new DataError(`${meta} lists ${names.length} class names — it needs one name a line, 2 to 256 of them`);
  }
  return names;
}

/** Record counts per split from the file sizes (no reading). */
export function binaryCounts(dir: string): Record<SplitName, number> {
  const files = binaryFiles(dir);
  const n = (l: string[]): number => l.reduce((t, f) => t + statSync(f).size / RECORD_BYTES, 0);
  return { train: n(files.train), test: n(files.test) };
}

/** Copies one CHW record body into HWC at `out[offset..]`. */
export function chwToHwc(src: Uint8Array, srcOffset: number, out: Uint8Array, offset: number): void {
  for (let p = 0; p < PLANE; p++) {
    const o = offset + p * 3;
    out[o] = src[srcOffset + p];
    out[o + 1] = src[srcOffset + PLANE + p];
    out[o + 2] = src[srcOffset + 2 * PLANE + p];
  }
}

/** Reads one split's batches, keeping the first `limit` records of each class in file order. */
export function readBinarySplit(
  files: string[],
  classes: number,
  limit: number,
  hash: ReturnType<typeof createHash>,
): Split {
  const data = files.map((f) => readFileSync(f));
  const taken = new Array<number>(classes).fill(0);
  const keep: [number, number][] = [];
  for (const [b, buf] of data.entries()) {
    hash.update(buf);
    for (let r = 0; r < buf.length; r += RECORD_BYTES) {
      const label = buf[r];
      if (label >= classes) {
        throw new DataError(
          `record ${r / RECORD_BYTES} of ${files[b]} has label ${label} but there are ${classes} classes — the file is damaged or batches.meta.txt is short`,
        );
      }
      if (taken[label] < limit) {
        taken[label]++;
        keep.push([b, r]);
      }
    }
  }
  const split: Split = {
    images: new Uint8Array(keep.length * IMAGE_BYTES),
    labels: new Uint8Array(keep.length),
    count: keep.length,
  };
  for (const [i, [b, r]] of keep.entries()) {
    split.labels[i] = data[b][r];
    chwToHwc(data[b], r + 1, split.images, i * IMAGE_BYTES);
  }
  return split;
}

export interface BinaryData {
  train: Split;
  test: Split;
  classes: string[];
  checksum: string;
}

/** Loads a cifar-10-batches-bin directory; checksum = sha256 of data_batch_1..5 then test_batch. */
export function loadBinary(dir: string, limits: Record<SplitName, number>): BinaryData {
  const files = binaryFiles(dir);
  const classes = binaryClasses(dir);
  const hash = createHash('sha256');
  const train = readBinarySplit(files.train, classes.length, limits.train, hash);
  const test = readBinarySplit(files.test, classes.length, limits.test, hash);
  return { train, test, classes, checksum: hash.digest('hex') };
}

/** Size and mtime of every file the binary layout reads (for the cache key). */
export function binaryStamp(dir: string): string {
  const files = binaryFiles(dir);
  const meta = join(dir, META_FILE);
  const all = [...files.train, ...files.test, ...(existsSync(meta) ? [meta] : [])];
  return all
    .map((f) => {
      const st = statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join('|');
}
