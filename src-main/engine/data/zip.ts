/** Reading an image-folder zip with fflate: list the entries, then extract only those needed. */
import { readFileSync } from 'node:fs';
import { unzipSync, type Unzipped } from 'fflate';
import { DataError, errorText, ioReason } from './types';
import type { TreeEntry } from './tree';

const ZIP_MAGIC = [0x50, 0x4b];

export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === ZIP_MAGIC[0] && head[1] === ZIP_MAGIC[1] && (head[2] === 3 || head[2] === 5);
}

/** An entry name that could escape an extraction folder: absolute, drive-lettered or with `..`. */
export function unsafeEntryName(name: string): boolean {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || name.includes('\0')) return true;
  return name.split(/[\\/]/).includes('..');
}

export function readZipFile(file: string): Uint8Array {
  let buf: Uint8Array;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read ${file} (${ioReason(e)}) — check its permissions, or copy it somewhere readable`);
  }
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

/** Extracts the named entries (stored or deflated). */
export function extractZip(buf: Uint8Array, file: string, names: ReadonlySet<string>): Unzipped {
  return unzip(buf, file, (name) => names.has(name));
}
