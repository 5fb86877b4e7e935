/**
 * Crash-safe file and folder writes. A reader (or the next start after a crash) sees either the
 * old content or the new, never a half-written file or a missing folder.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, StoreError } from './errors';

const TMP = '.tmp-';
const OLD = '.old-';
const TRASH = '.trash-';

function uniqueTag(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A Node file-system error (`ENOSPC`, `EIO`...), as opposed to an error of the caller's own. */
function isIoError(e: unknown): boolean {
  return /^E[A-Z0-9]+$/.test(errnoCode(e) ?? '');
}

function writeFailed(target: string, e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const why = errnoCode(e) ?? (e instanceof Error ? e.message : String(e));
  return new StoreError(
    'internal',
    `cannot write ${target} (${why}); check that the folder is writable and the disk has space`,
    {
      cause: e,
    },
  );
}

/** Writes a temporary file beside `file`, fsyncs it, renames it over `file`, then fsyncs the folder. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${TMP}${path.basename(file)}-${uniqueTag()}`);
  try {
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
    await fsyncDir(dir);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw writeFailed(file, e);
  }
}

/**
 * Builds a folder under a temporary name beside `finalDir`, fsyncs everything in it, then renames
 * it into place. An existing `finalDir` is first renamed to `.old-<name>`; a crash between the two
 * renames leaves that `.old-` folder, which `recoverDir` (run here and by `sweepLeftovers` at open)
 * puts back, so a crash never leaves neither. If `build` throws, `finalDir` is untouched and the
 * builder's own error is rethrown as it is, except a file-system error (ENOSPC, EFBIG, EACCES...):
 * that, like a failing step here, becomes a StoreError naming the folder and the fix.
 */
export async function writeDirAtomic(finalDir: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(finalDir);
  const tmp = path.join(parent, `${TMP}${path.basename(finalDir)}-${uniqueTag()}`);
  const step = async (fn: () => Promise<void>, wrap: boolean): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw wrap || isIoError(e) ? writeFailed(finalDir, e) : e;
    }
  };
  await step(async () => {
    await fsp.mkdir(parent, { recursive: true });
    recoverDir(finalDir);
    await fsp.mkdir(tmp);
  }, true);
  await step(() => build(tmp), false);
  await step(async () => {
    await syncTree(tmp);
    await swapIn(tmp, finalDir);
  }, true);
}

async function swapIn(tmp: string, finalDir: string): Promise<void> {
  const old = oldName(finalDir);
  const replacing = fs.existsSync(finalDir);
  if (replacing) await fsp.rename(finalDir, old);
  try {
    await fsp.rename(tmp, finalDir);
  } catch (e) {
    if (replacing) await fsp.rename(old, finalDir);
    throw e;
  }
  await fsyncDir(path.dirname(finalDir));
  if (replacing) await fsp.rm(old, { recursive: true, force: true });
}

function oldName(finalDir: string): string {
  return path.join(path.dirname(finalDir), `${OLD}${path.basename(finalDir)}`);
}

/** Finishes a swap a crash interrupted: keeps the new folder if it made it, else restores the old. */
export function recoverDir(finalDir: string): void {
  const old = oldName(finalDir);
  if (!fs.existsSync(old)) return;
  if (fs.existsSync(finalDir)) fs.rmSync(old, { recursive: true, force: true });
  else fs.renameSync(old, finalDir);
}

/** Moves a folder out of the way under a `.trash-` name (one atomic rename); returns that name. */
export function trashDir(dir: string): string | null {
  const trash = path.join(path.dirname(dir), `${TRASH}${path.basename(dir)}-${uniqueTag()}`);
  try {
    fs.renameSync(dir, trash);
    return trash;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * At open: restores interrupted swaps and removes half-written files and half-built or trashed
 * folders a crash left in `parent`, and (depth 1) in each folder inside it, i.e. in each run folder.
 */
export function sweepLeftovers(parent: string, depth = 0): void {
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    const full = path.join(parent, entry.name);
    if (entry.name.startsWith(OLD)) recoverDir(path.join(parent, entry.name.slice(OLD.length)));
    else if (entry.name.startsWith(TMP) || entry.name.startsWith(TRASH))
      fs.rmSync(full, { recursive: true, force: true });
  }
  if (depth <= 0) return;
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    if (entry.isDirectory()) sweepLeftovers(path.join(parent, entry.name), depth - 1);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncTree(dir: string): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(full);
    else if (entry.isFile()) {
      const fh = await fsp.open(full, 'r+');
      await fh.sync().finally(() => fh.close());
    }
  }
  await fsyncDir(dir);
}

/** Whether a name is one of this module's temporary or set-aside files and folders. */
export function isLeftover(name: string): boolean {
  return name.startsWith(TMP) || name.startsWith(OLD) || name.startsWith(TRASH);
}

/**
 * Regular files under `dir`, as sorted POSIX paths relative to it, leaving out symbolic links
 * (not followed) and this module's temporary files.
 */
export function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (isLeftover(entry.name)) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}
