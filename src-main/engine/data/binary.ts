/**
 * The original CIFAR-10 binary release (`cifar-10-batches-bin`): records of 1 label byte and 3072
 * bytes in CHW order (1024 red, 1024 green, 1024 blue, each row-major), converted here to HWC.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFileSync } from '../safe-read';
import { CIFAR10_CLASSES, DataError, IMAGE_BYTES, type Split, type SplitName } from './types';

export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const TRAIN_BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_BATCH = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';
const PLANE = IMAGE_BYTES / 3;
/** A CIFAR-10 batch is 30 MiB; anything far larger is not one (and is not read into memory). */
const MAX_BATCH_BYTES = 512 * 1024 ** 2;
const MAX_META_BYTES = 64 * 1024;

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
      const st = statSync(f);
      if (!st.isFile()) throw new DataError(`${f} is not a regular file (a pipe, device or folder) — re-extract the batches`);
      const size = st.size;
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
  const names = readRegularFileSync(meta, { maxBytes: MAX_META_BYTES, what: 'class-name list' })
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length < 2 || names.length > 256) {
    throw new DataError(`${meta} lists ${names.length} class names — it needs one name a line, 2 to 256 of them`);
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new DataError(`${meta} names the class "${twice}" twice — give each class one line`);
  return names;
}

function labelError(file: string, record: number, label: number, classes: number): DataError {
  return new DataError(
    `record ${record} of ${file} has label ${label} but there are ${classes} classes — the file is damaged or batches.meta.txt is short`,
  );
}

/**
 * Every class of `names` must appear in the split: batches holding one class would train to a
 * meaningless 100% accuracy, and a batches.meta.txt listing more names than the labels use would
 * give the model outputs no image ever trains.
 */
export function checkCoverage(counts: readonly number[], names: readonly string[], split: SplitName, dir: string): void {
  const missing = names.filter((_, c) => counts[c] === 0);
  if (missing.length === 0) return;
  const shown = `${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`;
  throw new DataError(
    `the ${split} batches in ${dir} hold no images of ${missing.length} of the ${names.length} classes in batches.meta.txt (${shown}) — every class needs images; check batches.meta.txt or re-extract the batches`,
  );
}

/** Images per label in one split's batches, reading only the label bytes (checks the label range). */
export function binaryLabelCounts(files: string[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  const chunk = Buffer.alloc(RECORD_BYTES * 1024);
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      let record = 0;
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
        for (let r = 0; r < n; r += RECORD_BYTES, record++) {
          if (chunk[r] >= classes) throw labelError(f, record, chunk[r], classes);
          counts[chunk[r]]++;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return counts;
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
  onCounts?: (counts: number[]) => void,
): Split {
  const data = files.map((f) => readRegularFileSync(f, { maxBytes: MAX_BATCH_BYTES, what: 'CIFAR-10 batch' }));
  const taken = new Array<number>(classes).fill(0);
  const seen = new Array<number>(classes).fill(0);
  const keep: [number, number][] = [];
  for (const [b, buf] of data.entries()) {
    hash.update(buf);
    for (let r = 0; r < buf.length; r += RECORD_BYTES) {
      const label = buf[r];
      if (label >= classes) throw labelError(files[b], r / RECORD_BYTES, label, classes);
      seen[label]++;
      if (taken[label] < limit) {
        taken[label]++;
        keep.push([b, r]);
      }
    }
  }
  onCounts?.(seen);
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
  const cover = (split: SplitName) => (counts: number[]) => checkCoverage(counts, classes, split, dir);
  const train = readBinarySplit(files.train, classes.length, limits.train, hash, cover('train'));
  const test = readBinarySplit(files.test, classes.length, limits.test, hash, cover('test'));
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
