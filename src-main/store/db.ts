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
  // v4: where an imported run came from and the checks on its record (NULL for runs made here).
  (db) => db.exec(`ALTER TABLE runs ADD COLUMN origin TEXT CHECK (origin IS NULL OR json_valid(origin));`),
  // v5: the validation accuracy a greedy decision was made on (NULL: older runs, or chosen on test).
  (db) => db.exec(`ALTER TABLE greedy ADD COLUMN val_acc REAL;`),
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
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw openFailed(file, e);
  }
  try {
    checkOwnership(db, list);
    // A file the OS lets us read but not write opens read-only without a word; find out now with a
    // write that changes nothing, rather than at the first run the user starts.
    db.pragma(`user_version = ${schemaVersion(db)}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, list);
    return db;
  } catch (e) {
    db.close();
    throw openFailed(file, e);
  }
}

function openFailed(file: string, e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new StoreError(
      'bad-input',
      `the run store ${file} is read-only (${code}); make the file and its folder writable, or choose another data folder`,
      { cause: e },
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new StoreError(
      'bad-input',
      `${file} is not a SQLite database (expected the workbench's run store); move it away or choose another data folder`,
      { cause: e },
    );
  }
  return e;
}

/** PRAGMA application_id of a workbench run store ("DWSW"), set when the file is created. */
export const APPLICATION_ID = 0x44575357;

/**
 * Refuses a database the workbench did not create, before anything is written to it. Ours: the
 * application_id above; or (stores made before the id was set) no id, a user_version we know, and
 * exactly the schema our migrations give at that version, which is then stamped with the id; or a
 * new, empty file, stamped as it is created.
 */
export function checkOwnership(db: Db, list: readonly Migration[] = migrations): void {
  const id = db.pragma('application_id', { simple: true }) as number;
  if (id === APPLICATION_ID) return;
  const version = schemaVersion(db);
  const shape = schemaShape(db);
  const empty = version === 0 && shape.length === 0;
  const known = id === 0 && version > 0 && version <= list.length && sameShape(shape, expectedShape(version, list));
  if (id !== 0 || !(empty || known)) {
    const what = id !== 0 ? `application_id 0x${(id >>> 0).toString(16)}` : `user_version ${version} and ${shape.length} schema objects`;
    throw new StoreError(
      'bad-input',
      `${db.name} is not a workbench run store (it has ${what}; expected application_id 0x${APPLICATION_ID.toString(16)} or an empty file); nothing was changed, choose another data folder`,
    );
  }
  db.pragma(`application_id = ${APPLICATION_ID}`);
}

type Shape = { type: string; name: string; sql: string | null }[];

function schemaShape(db: Db): Shape {
  return db
    .prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
    .all() as Shape;
}

function expectedShape(version: number, list: readonly Migration[]): Shape {
  const mem = new Database(':memory:');
  try {
    for (let v = 0; v < version; v++) list[v](mem);
    return schemaShape(mem);
  } finally {
    mem.close();
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
  return a.length === b.length && a.every((x, i) => x.type === b[i].type && x.name === b[i].name && norm(x.sql) === norm(b[i].sql));
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
