/**
 * The run store: one SQLite file and one folder per run under a data folder the caller chooses.
 *
 *   <dataDir>/runs.db (+ -wal, -shm)   run history
 *   <dataDir>/store.lock.db            held locked by the owning process (one workbench per folder)
 *   <dataDir>/store.lock               the owning process's pid, for messages
 *   <dataDir>/runs/<id>/               a run's artefacts (checkpoints, weights)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../contract';
import { exportRun, importRun, type ExportOptions } from './archive';
import { openDatabase, schemaVersion, type Db } from './db';
import { errnoCode, StoreError } from './errors';
import { sweepLeftovers } from './files';
import { acquireLock, type StoreLock } from './lock';
import { RunRepository } from './runs';

export const DB_FILE = 'runs.db';
const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'];

export interface StoreInfo {
  dataDir: string;
  dbFile: string;
  schemaVersion: number;
  journalMode: string;
  synchronous: string;
  foreignKeys: boolean;
  busyTimeoutMs: number;
}

export class Store extends RunRepository {
  private closed = false;

  constructor(
    db: Db,
    dataDir: string,
    private readonly lock: StoreLock,
  ) {
    super(db, dataDir);
  }

  /** Where the store lives and how its connection is set up, for a diagnostics view. */
  info(): StoreInfo {
    const pragma = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      dataDir: this.dataDir,
      dbFile: this.db.name,
      schemaVersion: schemaVersion(this.db),
      journalMode: String(pragma('journal_mode')),
      synchronous: SYNCHRONOUS[Number(pragma('synchronous'))] ?? String(pragma('synchronous')),
      foreignKeys: pragma('foreign_keys') === 1,
      busyTimeoutMs: Number(pragma('busy_timeout')),
    };
  }

  /**
   * Writes the run as a single `.dwrun` file at `destFile` (suffix added when missing; atomically;
   * never over an existing file unless `overwrite`, never through a link, onto a device or inside
   * the store's run folders). Answers the path written.
   */
  exportRun(id: string, destFile: string, opts: ExportOptions = {}): Promise<string> {
    return exportRun(this, id, destFile, opts);
  }

  /** Adds the run in a `.dwrun` file to this store; returns it (with a new id if its own is taken). */
  importRun(file: string): Promise<RunRecord> {
    return importRun(this, file);
  }

  /** Closes the database (checkpointing the WAL) and releases the folder's lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

/** Opens (creating if needed) the store in `dataDir`; throws StoreError if another workbench has it. */
export function openStore(dataDir: string): Store {
  const dir = path.resolve(dataDir);
  makeDataDir(dir);
  const lock = acquireLock(dir);
  try {
    const db = openDatabase(path.join(dir, DB_FILE));
    try {
      fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
      sweepLeftovers(path.join(dir, 'runs'), 1);
    } catch (e) {
      db.close();
      throw e;
    }
    return new Store(db, dir, lock);
  } catch (e) {
    lock.release();
    if (e instanceof StoreError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new StoreError(
      'internal',
      `cannot open the run store in ${dir} (${why}); check the folder or choose another data folder`,
      { cause: e },
    );
  }
}

function makeDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StoreError(
      'bad-input',
      `cannot create the data folder ${dir} (${errnoCode(e) ?? String(e)}); choose a writable folder`,
      { cause: e },
    );
  }
}

export { StoreError, type StoreErrorCode } from './errors';
export { INTERRUPTED_REASON, type Artefacts, type RunFilter, type RunMeta } from './runs';
export { RUN_STATUSES } from './validate';
export { writeDirAtomic, writeFileAtomic } from './files';
export { ARCHIVE_EXTENSION } from './archive';
export { migrations, type Migration } from './db';
export { buildComparison, comparisonMarkdown } from './compare';
