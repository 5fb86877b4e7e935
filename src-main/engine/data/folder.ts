/** Listing an image-folder directory as tree entries, without walking beyond the dataset's depth. */
import { createHash } from 'node:crypto';
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isRefusedFile, readRegularFileSync } from '../safe-read';
import { DataError, errorText, ioReason } from './types';
import { DATASET_ZIP_LIMITS } from './zip';
import type { TreeEntry } from './tree';

export interface FolderListing {
  entries: TreeEntry[];
  /** sha256 of the sorted image list with sizes (the dataset's checksum). */
  checksum: string;
  /** sha256 of the list with sizes and mtimes (the cache key's part). */
  stamp: string;
}

function readDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(`cannot read folder ${dir}: ${errorText(e)} — check the path and its permissions`);
  }
}

function statFile(file: string): { size: number; mtimeMs: number } {
  try {
    return statSync(file);
  } catch (e) {
    throw new DataError(`cannot read image ${file} (${ioReason(e)}) — remove or replace that file (a broken link?)`);
  }
}

/** Reads one image of an image-folder dataset; a file gone or unreadable becomes a DataError. */
export function readFolderFile(dir: string, rel: string): Uint8Array {
  try {
    return readRegularFileSync(join(dir, rel), { maxBytes: DATASET_ZIP_LIMITS.imageBytes, what: '32x32 image' });
  } catch (e) {
    if (isRefusedFile(e)) throw new DataError(`${e.message} (in ${dir}) — replace or remove that file`);
    throw new DataError(`cannot read image ${rel} in ${dir} (${ioReason(e)}) — check the file, or remove it`);
  }
}

function isDir(dir: string, d: Dirent): boolean {
  if (d.isDirectory()) return true;
  if (!d.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, d.name)).isDirectory();
  } catch {
    return false;
  }
}

class Collected {
  entries: TreeEntry[] = [];
  mtimes: number[] = [];
  add(path: string, size = 0, mtime = 0): void {
    this.entries.push({ path, size });
    this.mtimes.push(mtime);
  }
}

/** Adds `split/<class>/<file>` entries (with `rel` prefix) for one split folder. */
function walkSplit(dir: string, rel: string, out: Collected): void {
  for (const c of readDir(dir)) {
    if (!isDir(dir, c)) continue;
    const classDir = join(dir, c.name);
    out.add(`${rel}${c.name}/`);
    for (const f of readDir(classDir)) {
      if (isDir(classDir, f)) continue;
      const st = statFile(join(classDir, f.name));
      out.add(`${rel}${c.name}/${f.name}`, st.size, st.mtimeMs);
    }
  }
}

/** Lists `dir` (top level) and the train/test trees directly in it or one folder down. */
export function listFolder(dir: string): FolderListing {
  const out = new Collected();
  const visit = (abs: string, rel: string, depth: number): void => {
    for (const d of readDir(abs)) {
      if (!isDir(abs, d)) {
        if (depth === 0) out.add(d.name);
      } else if (d.name === 'train' || d.name === 'test') {
        out.add(`${rel}${d.name}/`);
        walkSplit(join(abs, d.name), `${rel}${d.name}/`, out);
      } else if (depth === 0) {
        out.add(`${d.name}/`);
        visit(join(abs, d.name), `${d.name}/`, 1);
      }
    }
  };
  visit(dir, '', 0);
  const order = out.entries.map((_, i) => i).sort((a, b) => (out.entries[a].path < out.entries[b].path ? -1 : 1));
  const sum = createHash('sha256');
  const stamp = createHash('sha256');
  for (const i of order) {
    const e = out.entries[i];
    if (e.path.endsWith('/')) continue;
    sum.update(`${e.path}\t${e.size}\n`);
    stamp.update(`${e.path}\t${e.size}\t${out.mtimes[i]}\n`);
  }
  return { entries: out.entries, checksum: sum.digest('hex'), stamp: stamp.digest('hex') };
}
