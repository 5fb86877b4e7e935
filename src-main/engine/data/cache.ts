/**
 * The decoded-array cache: one file per (source, slice) in cacheDir, named by a hash of the key,
 * written to a temporary file in the same folder and renamed into place.
 *
 * File: "DWSCIFAR" | u32 LE header length | JSON header | train images | train labels | test images
 * | test labels.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, IMAGE_BYTES, errorText, type Cifar, type Layout, type Split } from './types';

const MAGIC = 'DWSCIFAR';
const FORMAT = 1;

interface Header {
  format: number;
  layout: Layout;
  classes: string[];
  checksum: string;
  train: number;
  test: number;
}

export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, ...parts }))
    .digest('hex')
    .slice(0, 40);
}

export function cacheFile(cacheDir: string, key: string): string {
  return join(cacheDir, `cifar-${key}.bin`);
}

function view(buf: Buffer, offset: number, length: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
}

/** The cached dataset, or null when absent or unreadable (a damaged file is simply rebuilt). */
export function readCache(cacheDir: string, key: string): Omit<Cifar, 'source'> | null {
  const file = cacheFile(cacheDir, key);
  if (!existsSync(file)) return null;
  try {
    const buf = readFileSync(file);
    if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
    const headerLen = buf.readUInt32LE(MAGIC.length);
    let at = MAGIC.length + 4;
    const h = JSON.parse(buf.toString('utf8', at, at + headerLen)) as Header;
    at += headerLen;
    if (h.format !== FORMAT || buf.length !== at + (h.train + h.test) * (IMAGE_BYTES + 1)) return null;
    const split = (n: number): Split => {
      const images = view(buf, at, n * IMAGE_BYTES);
      const labels = view(buf, at + n * IMAGE_BYTES, n);
      at += n * (IMAGE_BYTES + 1);
      return { images, labels, count: n };
    };
    const train = split(h.train);
    const test = split(h.test);
    return { train, test, classes: h.classes, layout: h.layout, checksum: h.checksum };
  } catch {
    return null;
  }
}

/** Writes the dataset atomically (tmp file + rename) into cacheDir; never anywhere else. */
export function writeCache(cacheDir: string, key: string, data: Omit<Cifar, 'source'>): void {
  const file = cacheFile(cacheDir, key);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const header: Header = {
    format: FORMAT,
    layout: data.layout,
    classes: data.classes,
    checksum: data.checksum,
    train: data.train.count,
    test: data.test.count,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts = [
    Buffer.from(MAGIC, 'latin1'),
    len,
    json,
    data.train.images,
    data.train.labels,
    data.test.images,
    data.test.labels,
  ];
  try {
    mkdirSync(cacheDir, { recursive: true });
    const fd = openSync(tmp, 'wx');
    try {
      for (const p of parts) writeAll(fd, p);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw new DataError(
      `cannot write the dataset cache in ${cacheDir}: ${errorText(e)} — choose a writable cacheDir or none`,
    );
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // the folder itself is unusable; the DataError about it is what matters
  }
}
