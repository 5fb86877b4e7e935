/**
 * Single-instance guard: `<dataDir>/store.lock`, created with O_EXCL and holding the owner's pid.
 * A lock whose pid is dead is stale (the owner crashed) and is taken over. Within one process a
 * second open of the same folder is refused as well, unless the pid in the file is ours only by
 * reuse (a previous process with the same pid, common in containers), which the `held` set tells.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, StoreError } from './errors';

export const LOCK_FILE = 'store.lock';

/** A lock file still empty this long after it was created is treated as abandoned mid-write. */
const EMPTY_LOCK_GRACE_MS = 10_000;

const held = new Set<string>();

export interface StoreLock {
  readonly file: string;
  release(): void;
}

export function acquireLock(dataDir: string): StoreLock {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) {
      held.add(file);
      return { file, release: () => release(file) };
    }
    const owner = readOwner(file);
    if (owner === 'gone') continue;
    if (owner === 'writing' || isAlive(owner, file)) throw inUse(dataDir, owner);
    fs.rmSync(file, { force: true });
  }
  throw new StoreError(
    'conflict',
    `could not take the lock ${file}; another workbench keeps recreating it, close it and retry`,
  );
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw new StoreError(
      'internal',
      `cannot create ${file} (${errnoCode(e) ?? String(e)}); check that the data folder is writable`,
      { cause: e },
    );
  }
  try {
    fs.writeSync(fd, `${process.pid}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The pid in the lock file; 'writing' while a just-created file is still empty; 'gone' if it vanished. */
function readOwner(file: string): number | 'writing' | 'gone' {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 'gone';
    throw e;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) return pid;
  return text.trim() === '' && Date.now() - mtimeMs < EMPTY_LOCK_GRACE_MS ? 'writing' : 0;
}

function isAlive(pid: number, file: string): boolean {
  if (pid <= 0) return false;
  if (pid === process.pid) return held.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function inUse(dataDir: string, owner: number | 'writing'): StoreError {
  const who = owner === 'writing' ? 'starting up' : `pid ${owner}`;
  return new StoreError(
    'conflict',
    `the run store in ${dataDir} is in use by another workbench (${who}); close it or choose another data folder`,
  );
}

function release(file: string): void {
  if (!held.delete(file)) return;
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}
