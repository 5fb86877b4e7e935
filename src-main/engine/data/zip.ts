/** Reading an image-folder zip with fflate: list the entries, then extract only those needed. */
import { unzipSync, type Unzipped } from 'fflate';
import { isRefusedFile, formatBytes, readRegularFile } from '../safe-read';
import { DataError, errorText, ioReason } from './types';
import type { TreeEntry } from './tree';

/**
 * Caps on a dataset zip, checked before anything is inflated (fflate's unzipSync allocates each
 * entry at its declared size and never writes past it, so the declared sizes bound the memory):
 * the zip itself, each image entry (a 32x32 JPEG is a few KiB), the images extracted together, and
 * the number of entries.
 */
export const DATASET_ZIP_LIMITS = {
  zipBytes: 2 * 1024 ** 3,
  imageBytes: 256 * 1024,
  extractedBytes: 1024 ** 3,
  entries: 2_000_000,
};

const ZIP_MAGIC = [0x50, 0x4b];

export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === ZIP_MAGIC[0] && head[1] === ZIP_MAGIC[1] && (head[2] === 3 || head[2] === 5);
}

/** An entry name that could escape an extraction folder: absolute, drive-lettered or with `..`. */
export function unsafeEntryName(name: string): boolean {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || name.includes('\0')) return true;
  return name.split(/[\\/]/).includes('..');
}

const ZIP_LIMIT = { maxBytes: DATASET_ZIP_LIMITS.zipBytes, what: 'dataset zip' };

/** A dataset zip, read through the bounded reader without holding the event loop (the host's checkDataset). */
export async function readZipFile(file: string): Promise<Uint8Array> {
  let buf: Uint8Array;
  try {
    buf = await readRegularFile(file, ZIP_LIMIT);
  } catch (e) {
    throw readFailed(file, e);
  }
  return checkZipMagic(buf, file);
}

function readFailed(file: string, e: unknown): DataError {
  if (isRefusedFile(e)) return new DataError(e.message);
  return new DataError(`cannot read ${file} (${ioReason(e instanceof Error && e.cause ? e.cause : e)}) — check its permissions, or copy it somewhere readable`);
}

function checkZipMagic(buf: Uint8Array, file: string): Uint8Array {
  if (!looksLikeZip(buf)) {
    throw new DataError(
      `not a zip file: ${file} — give a CIFAR-10 zip with train/<class>/*.jpg and test/<class>/*.jpg`,
    );
  }
  return buf;
}

function unzip(buf: Uint8Array, file: string, filter: (name: string, size: number) => boolean): Unzipped {
  try {
    return unzipSync(buf, { filter: (f) => filter(f.name, f.originalSize) });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(
      `cannot read zip ${file}: ${errorText(e)} — the archive is damaged; re-download or re-create it`,
    );
  }
}

/** Lists every entry without extracting anything; refuses archives with unsafe paths. */
export function listZip(buf: Uint8Array, file: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  unzip(buf, file, (name, size) => {
    if (entries.length >= DATASET_ZIP_LIMITS.entries) {
      throw new DataError(
        `${file} holds more than ${DATASET_ZIP_LIMITS.entries} entries — a CIFAR-10 zip has about 60000; check that it is the right file`,
      );
    }
    if (unsafeEntryName(name)) {
      throw new DataError(
        `unsafe path in archive ${file}: entry "${name}" — refusing it; re-create the zip with relative paths`,
      );
    }
    entries.push({ path: name, size });
    return false;
  });
  return entries;
}

/**
 * Extracts the named entries (stored or deflated), refusing before inflating anything an image
 * whose declared size is over the per-image cap, or images that together would be over the total.
 */
export function extractZip(buf: Uint8Array, file: string, names: ReadonlySet<string>): Unzipped {
  let total = 0;
  return unzip(buf, file, (name, size) => {
    if (!names.has(name)) return false;
    if (size > DATASET_ZIP_LIMITS.imageBytes) {
      throw new DataError(
        `image ${name} in ${file} declares ${formatBytes(size)}, more than the ${formatBytes(DATASET_ZIP_LIMITS.imageBytes)} a 32x32 image may take — the zip is damaged or not a CIFAR-10 zip`,
      );
    }
    total += size;
    if (total > DATASET_ZIP_LIMITS.extractedBytes) {
      throw new DataError(
        `the images in ${file} declare more than ${formatBytes(DATASET_ZIP_LIMITS.extractedBytes)} in all — use fewer images per class or check that it is the right file`,
      );
    }
    return true;
  });
}
