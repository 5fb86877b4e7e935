/**
 * Single-instance guard, on SQLite's own file locking: `<dataDir>/store.lock.db` is an (empty)
 * SQLite database that the owning process holds in an open EXCLUSIVE transaction. Taking the lock
 * is one atomic step done by the OS (SQLite's fcntl byte-range lock, LockFileEx on Windows): of
 * several processes starting at once exactly one gets it, the others get SQLITE_BUSY at once. The
 * OS releases it when the owner's process ends however it ends, so there is no stale lock to
 * take over and no pid to trust. SQLite also refuses a second connection of the same process.
 *
 * `<dataDir>/store.lock` holds the owner's pid, written after the lock is taken and removed at
 * release: only for the message naming who holds the folder, never to decide who does. The lock
 * database itself is never deleted (a process waiting on the old file would otherwise lock a
 * different file than one that creates a new one).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errnoCode, StoreError } from './errors';

export const LOCK_FILE = 'store.lock';
export const LOCK_DB = 'store.lock.db';

export interface StoreLock {
  readonly file: string;
  release(): void;
}

export function acquireLock(dataDir: string): StoreLock {
  const file = path.join(dataDir, LOCK_DB);
  const pidFile = path.join(dataDir, LOCK_FILE);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (e) {
    throw cannotLock(file, e);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if (isBusy(e)) throw inUse(dataDir, readOwner(pidFile));
    throw cannotLock(file, e);
  }
  writeOwner(pidFile);
  let held = true;
  return {
    file,
    release: () => {
      if (!held) return;
      held = false;
      removeOwner(pidFile);
      db.close();
    },
  };
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function cannotLock(file: string, e: unknown): StoreError {
  const why = (e as { code?: unknown }).code ?? (e instanceof Error ? e.message : String(e));
  return new StoreError(
    'internal',
    `cannot take the lock ${file} (${String(why)}); check that the data folder is writable, or choose another`,
    { cause: e },
  );
}

function writeOwner(pidFile: string): void {
  try {
    fs.rmSync(pidFile, { force: true });
    fs.writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    // Only informational: the lock itself is held.
  }
}

function removeOwner(pidFile: string): void {
  try {
    if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/** The pid the holder wrote, if it could be read (a holder starting up may not have written it yet). */
function readOwner(pidFile: string): number | null {
  try {
    const st = fs.lstatSync(pidFile);
    if (!st.isFile() || st.size > 64) return null;
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function inUse(dataDir: string, owner: number | null): StoreError {
  const who = owner === null ? 'starting up' : `pid ${owner}`;
  return new StoreError(
    'conflict',
    `the run store in ${dataDir} is in use by another workbench (${who}); close it or choose another data folder`,
  );
}
