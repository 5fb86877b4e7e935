/**
 * Opening the SQLite file: connection settings and the `user_version`-numbered migrations.
 */
import Database from 'better-sqlite3';
import { BLOCK_NAMES, upgradeRunConfig } from '../contract';
import { StoreError } from './errors';

export type Db = Database.Database;
export type Statement = Database.Statement<unknown[], unknown>;
export type Migration = (db: Db) => void;

/** Schema version N is reached by running migrations[0..N-1]; append, never edit a shipped one. */
export const migrations: Migration[] = [
  // v1: runs with their per-epoch metrics and greedy-protocol steps.
  (db) =>
    db.exec(`
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        protocol TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        config TEXT NOT NULL CHECK (json_valid(config)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        backend TEXT,
        device TEXT,
        dataset_checksum TEXT,
        app_version TEXT NOT NULL,
        final TEXT CHECK (final IS NULL OR json_valid(final)),
        swapped TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(swapped)),
        checkpoint_path TEXT,
        weights_path TEXT
      );
      CREATE INDEX runs_created ON runs (created_at, id);
      CREATE TABLE epochs (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        phase TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        metrics TEXT NOT NULL CHECK (json_valid(metrics)),
        PRIMARY KEY (run_id, seq),
        UNIQUE (run_id, phase, epoch)
      ) WITHOUT ROWID;
      CREATE TABLE greedy (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        block TEXT NOT NULL,
        label TEXT NOT NULL,
        pass INTEGER NOT NULL CHECK (pass IN (1, 2)),
        test_acc REAL,
        kept INTEGER NOT NULL CHECK (kept IN (0, 1)),
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
    `),
  // v2: user tags, and indices for the run list's status and protocol filters (and markInterrupted).
  (db) =>
    db.exec(`
      ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
      CREATE INDEX runs_status ON runs (status);
      CREATE INDEX runs_protocol ON runs (protocol, created_at);
    `),
  // v3: configurations as the union on `protocol` (see contract/upgrade.ts); an unfinished `ours`
  // run started from the CLI recorded no swapped blocks, though ours swaps all 16.
  (db) => upgradeStoredConfigs(db),
];

function upgradeStoredConfigs(db: Db): void {
  const rows = db.prepare('SELECT id, protocol, config, final FROM runs').all() as { id: string; protocol: string; config: string; final: string | null }[];
  const setConfig = db.prepare('UPDATE runs SET config = ? WHERE id = ?');
  const setSwapped = db.prepare('UPDATE runs SET swapped = ? WHERE id = ?');
  for (const r of rows) {
    setConfig.run(JSON.stringify(upgradeRunConfig(JSON.parse(r.config))), r.id);
    if (r.protocol === 'ours' && r.final === null) setSwapped.run(JSON.stringify(BLOCK_NAMES), r.id);
  }
}

/**
 * Opens (creating if needed) the database file and brings its schema up to date.
 *
 * - WAL: readers never block the writer, and a commit is one append to the log.
 * - synchronous=NORMAL: in WAL mode this fsyncs at checkpoints rather than at every commit. A
 *   killed process loses nothing (committed frames are already in the OS's cache) and the file
 *   can never be corrupted; only a power cut or kernel crash may drop the last few commits. For a
 *   run history written once per epoch that trade is right: FULL would fsync on every epoch and
 *   greedy step, and the artefacts themselves are fsynced by writeFileAtomic before the row that
 *   points to them is written.
 * - foreign_keys: epochs and greedy rows go with their run (ON DELETE CASCADE).
 * - busy_timeout: a reader in another tool (sqlite3 CLI, a backup) makes writes wait, not fail.
 */
export function openDatabase(file: string, list: readonly Migration[] = migrations): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, list);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Runs the pending migrations, each with its version bump in one transaction. */
export function migrate(db: Db, list: readonly Migration[] = migrations): number {
  const from = schemaVersion(db);
  if (from > list.length) {
    throw new StoreError(
      'conflict',
      `the run store ${db.name} has schema v${from} but this workbench knows only v${list.length}; update the workbench or choose another data folder`,
    );
  }
  for (let v = from; v < list.length; v++) {
    try {
      db.transaction(() => {
        list[v](db);
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new StoreError(
        'internal',
        `upgrading the run store ${db.name} to schema v${v + 1} failed (${why}); it was left at v${v}, report this with the file attached`,
        { cause: e },
      );
    }
  }
  return list.length;
}
