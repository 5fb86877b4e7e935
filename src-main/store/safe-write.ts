/**
 * Writing a file at a path a user or a client chose (an exported `.dwrun`): the one way the store
 * writes outside its own folders, whichever entry point asked (CLI, WebSocket, Electron IPC).
 *
 * - Only a new file, or an existing regular file when the caller says `overwrite`: never a
 *   symbolic link (not followed, not replaced), never a device (/dev/null), FIFO, socket or folder.
 * - Never inside the folders the caller forbids (the store's own run folders), judged on the real
 *   path of the destination's folder, so a link to them does not get through either.
 * - Crash-safe: the bytes go to a temporary file beside the target (O_EXCL | O_NOFOLLOW), fsynced,
 *   then are linked in without replacing anything (link(2) fails if the name was taken meanwhile)
 *   or, to overwrite, renamed over the regular file just checked again; then the folder is fsynced.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, StoreError } from './errors';
import { fsyncDir } from './files';

export interface UserWrite {
  /** Replace an existing regular file (CLI --force, a UI confirmation). */
  overwrite?: boolean;
  /** Folders the file must not be in (real paths are compared). */
  forbidden?: readonly string[];
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW;

function refuse(message: string): StoreError {
  return new StoreError('bad-input', message);
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Refuses a destination that exists and is not a regular file we may replace. */
function checkExisting(file: string, overwrite: boolean): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw refuse(`cannot look at ${file} (${errnoCode(e) ?? String(e)}); choose another file name`);
  }
  if (st.isSymbolicLink())
    throw refuse(`${file} is a symbolic link; the workbench never writes through links, give the real path`);
  if (!st.isFile())
    throw refuse(`${file} exists and is not a regular file (a device, pipe or folder); choose another file name`);
  if (!overwrite)
    throw new StoreError(
      'conflict',
      `${file} already exists; choose another name, or confirm replacing it (dwswap export --force)`,
    );
}

/** Refuses a destination whose folder is one of (or inside one of) `forbidden`. */
function checkPlace(file: string, forbidden: readonly string[]): void {
  const folder = realPath(path.dirname(file));
  for (const dir of forbidden) {
    if (isInside(folder, realPath(dir)) || isInside(path.dirname(file), path.resolve(dir)))
      throw refuse(`${file} is inside the run store's own folder ${dir}; choose a folder outside it`);
  }
}

/** Writes `data` to `file` under the rules above; throws StoreError naming the problem and the fix. */
export async function writeUserFile(file: string, data: Uint8Array, opts: UserWrite = {}): Promise<void> {
  const overwrite = opts.overwrite === true;
  checkPlace(file, opts.forbidden ?? []);
  checkExisting(file, overwrite);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.tmp-${path.basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await fsp.open(tmp, CREATE_FLAGS, 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (overwrite) {
      checkExisting(file, true);
      await fsp.rename(tmp, file);
    } else {
      await linkNew(tmp, file);
    }
    await fsyncDir(dir);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    const why = errnoCode(e) ?? (e instanceof Error ? e.message : String(e));
    throw new StoreError(
      'internal',
      `cannot write ${file} (${why}); check that the folder is writable and the disk has space`,
      { cause: e },
    );
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Puts `tmp` at `file` only if nothing is there (atomic: link fails with EEXIST otherwise). */
async function linkNew(tmp: string, file: string): Promise<void> {
  try {
    await fsp.link(tmp, file);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') checkExisting(file, false);
    // File systems without hard links (some FAT/network mounts): a rename after the check above.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      checkExisting(file, false);
      await fsp.rename(tmp, file);
      return;
    }
    throw e;
  }
}
