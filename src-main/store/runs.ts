/**
 * The run repository: every write is one transaction; reads return the contract's types.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  normaliseBlockName,
  issueField,
  RunConfigSchema,
  runSwapped,
  type EpochMetrics,
  type FinalMetrics,
  type InferenceTiming,
  type GreedyRecord,
  type ProtocolKind,
  type RunConfig,
  type RunRecord,
  type RunStatus,
  type RunSummary,
} from '../contract';
import type { Db, Statement } from './db';
import { runNotFound, StoreError } from './errors';
import { trashDir } from './files';
import { encodeJson } from './json';
import { epochMetricsJson, recordFromRows, rowFromRecord, summaryFromRow, toStoredPath } from './rows';
import type { EpochRow, GreedyRow, RunRow, SummaryRow } from './rows';
import { badInput, checkBlocks, checkName, checkTags, isSafeRunId, newRunId, RUN_STATUSES } from './validate';

export const INTERRUPTED_REASON =
  'the process stopped before the run finished; resume it to continue from its last checkpoint';

export interface RunMeta {
  appVersion: string;
  /** Defaults to the config's name, else `<protocol> <date time>`. */
  name?: string;
  tags?: string[];
  datasetChecksum?: string | null;
  backend?: string | null;
  device?: string | null;
  /** The blocks the run starts with swapped; defaults to the protocol's (a model folder's may differ). */
  swapped?: string[];
}

export interface RunFilter {
  /** Case-insensitive substring of the name, id, protocol or a tag. */
  search?: string;
  status?: RunStatus;
  protocol?: ProtocolKind;
  tag?: string;
}

export interface Artefacts {
  /** Absolute, or relative to the run's folder; null clears, undefined leaves as is. */
  checkpointPath?: string | null;
  weightsPath?: string | null;
}

export class RunRepository {
  private readonly statements = new Map<string, Statement>();

  constructor(
    protected readonly db: Db,
    readonly dataDir: string,
  ) {}

  runDir(id: string): string {
    if (!isSafeRunId(id))
      throw badInput(`"${id}" is not a run id; ids are letters, digits, - and _ (see the run list)`);
    return path.join(this.dataDir, 'runs', id);
  }

  /** Runs `fn` as one transaction (nested calls become savepoints): all of its writes or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  createRun(config: RunConfig, meta: RunMeta): RunRecord {
    const parsed = RunConfigSchema.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badInput(`invalid run config at ${issueField(issue) || '(root)'}: ${issue.message}`);
    }
    let id = newRunId();
    while (this.exists(id)) id = newRunId();
    const now = new Date().toISOString();
    const cfg = parsed.data;
    const row: RunRow = {
      id,
      name: checkName(meta.name ?? (cfg.name.trim() || `${cfg.protocol} ${now.slice(0, 16).replace('T', ' ')}`)),
      tags: JSON.stringify(checkTags(meta.tags ?? [])),
      protocol: cfg.protocol,
      status: 'queued',
      status_reason: null,
      config: JSON.stringify(cfg),
      created_at: now,
      updated_at: now,
      backend: meta.backend ?? null,
      device: meta.device ?? null,
      dataset_checksum: meta.datasetChecksum ?? null,
      app_version: meta.appVersion,
      final: null,
      swapped: JSON.stringify(checkBlocks(meta.swapped ?? runSwapped(cfg))),
      checkpoint_path: null,
      weights_path: null,
      origin: null,
    };
    this.transaction(() => this.insertRow(row));
    fs.mkdirSync(this.runDir(id), { recursive: true });
    return this.getRun(id);
  }

  setStatus(id: string, status: RunStatus, reason?: string | null): void {
    if (!(RUN_STATUSES as readonly string[]).includes(status))
      throw badInput(`unknown run status "${status}"; use one of ${RUN_STATUSES.join(', ')}`);
    this.update(id, { status, status_reason: reason ?? null });
  }

  /** Appends an epoch; recording the same phase and epoch again (after a resume) replaces it. */
  addEpoch(id: string, m: EpochMetrics): void {
    if (!m.phase || !Number.isInteger(m.epoch) || m.epoch < 0) {
      throw badInput(`epoch metrics need a phase and a whole epoch number >= 0 (got "${m.phase}", ${m.epoch})`);
    }
    this.transaction(() => {
      this.update(id, {});
      this.stmt(
        `INSERT INTO epochs (run_id, seq, phase, epoch, metrics)
         VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM epochs WHERE run_id = @id), @phase, @epoch, @metrics)
         ON CONFLICT (run_id, phase, epoch) DO UPDATE SET metrics = excluded.metrics`,
      ).run({ id, phase: m.phase, epoch: m.epoch, metrics: epochMetricsJson(m) });
    });
  }

  addGreedy(id: string, g: GreedyRecord): void {
    const block = normaliseBlockName(g.block);
    if (block === null) throw badInput(`unknown block "${g.block}" in a greedy record; use conv2_1 ... conv5_3`);
    if (g.pass !== 1 && g.pass !== 2) throw badInput(`greedy pass must be 1 or 2 (got ${String(g.pass)})`);
    this.transaction(() => {
      this.update(id, {});
      this.stmt(
        `INSERT INTO greedy (run_id, seq, block, label, pass, test_acc, val_acc, kept)
         VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM greedy WHERE run_id = @id), @block, @label, @pass, @testAcc, @valAcc, @kept)`,
      ).run({ id, block, label: g.label, pass: g.pass, testAcc: g.testAcc, valAcc: g.valAcc ?? null, kept: g.kept ? 1 : 0 });
    });
  }

  setDataset(id: string, checksum: string): void {
    this.update(id, { dataset_checksum: checksum });
  }

  /** Replaces a run's greedy records (a resumed run restores those of its checkpoint). */
  replaceGreedy(id: string, records: readonly GreedyRecord[]): void {
    this.transaction(() => {
      this.stmt('DELETE FROM greedy WHERE run_id = ?').run(id);
      for (const g of records) this.addGreedy(id, g);
    });
  }

  setFinal(id: string, final: FinalMetrics, swapped: readonly string[]): void {
    this.update(id, { final: encodeJson(final), swapped: JSON.stringify(checkBlocks(swapped)) });
  }

  /** Stores an inference timing in the run's final metrics (the run must have finished). */
  setTiming(id: string, timing: InferenceTiming): void {
    const run = this.getRun(id);
    if (!run.final) throw new StoreError('conflict', `run '${run.name || id}' has no final metrics to time; finish it first`);
    this.update(id, { final: encodeJson({ ...run.final, timing }) });
  }

  setArtefacts(id: string, a: Artefacts): void {
    const dir = this.runDir(id);
    const sets: Partial<RunRow> = {};
    if (a.checkpointPath !== undefined) sets.checkpoint_path = toStoredPath(dir, a.checkpointPath);
    if (a.weightsPath !== undefined) sets.weights_path = toStoredPath(dir, a.weightsPath);
    this.update(id, sets);
  }

  setBackend(id: string, backend: string, device: string | null): void {
    this.update(id, { backend, device });
  }

  renameRun(id: string, name: string): void {
    this.update(id, { name: checkName(name) });
  }

  /** Replaces the run's tags (trimmed, de-duplicated). */
  tagRun(id: string, tags: readonly string[]): void {
    this.update(id, { tags: JSON.stringify(checkTags(tags)) });
  }

  getRun(id: string): RunRecord {
    const row = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw runNotFound(id);
    const epochs = this.stmt('SELECT phase, epoch, metrics FROM epochs WHERE run_id = ? ORDER BY seq').all(
      id,
    ) as EpochRow[];
    const greedy = this.stmt('SELECT block, label, pass, test_acc, val_acc, kept FROM greedy WHERE run_id = ? ORDER BY seq').all(
      id,
    ) as GreedyRow[];
    return recordFromRows(row, epochs, greedy, this.runDir(id));
  }

  /** Newest first. */
  listRuns(filter: RunFilter = {}): RunSummary[] {
    const where: string[] = [];
    const search = filter.search?.trim();
    if (search)
      where.push(
        `(name LIKE @q ESCAPE '\\' OR id LIKE @q ESCAPE '\\' OR protocol LIKE @q ESCAPE '\\' OR tags LIKE @q ESCAPE '\\')`,
      );
    if (filter.status) where.push('status = @status');
    if (filter.protocol) where.push('protocol = @protocol');
    if (filter.tag) where.push('EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE value = @tag)');
    const sql = `SELECT id, name, tags, protocol, status, status_reason, created_at, updated_at, backend, device,
        dataset_checksum, app_version, final, swapped, checkpoint_path, weights_path, origin,
        json_extract(config, '$.model.widthDivisor') AS width_divisor
      FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC`;
    const params = {
      q: `%${(search ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      status: filter.status ?? null,
      protocol: filter.protocol ?? null,
      tag: filter.tag?.trim() ?? null,
    };
    const rows = this.stmt(sql).all(params) as SummaryRow[];
    return rows.map((r) => summaryFromRow(r, this.runDir(r.id)));
  }

  /** Removes the run's rows and its folder; a running run must be cancelled first. */
  deleteRun(id: string): void {
    const dir = this.runDir(id);
    const status = this.statusOf(id);
    if (status === 'running') throw new StoreError('conflict', `run ${id} is running; cancel it first, then delete it`);
    const trash = trashDir(dir);
    try {
      this.transaction(() => this.stmt('DELETE FROM runs WHERE id = ?').run(id));
    } catch (e) {
      if (trash) fs.renameSync(trash, dir);
      throw e;
    }
    if (trash) fs.rmSync(trash, { recursive: true, force: true });
  }

  /** At startup: runs still 'running' or 'queued' belong to a process that died; returns their ids. */
  markInterrupted(): string[] {
    return this.transaction(() => {
      const ids = (
        this.stmt(`SELECT id FROM runs WHERE status IN ('running', 'queued') ORDER BY created_at`).all() as {
          id: string;
        }[]
      ).map((r) => r.id);
      const now = new Date().toISOString();
      for (const id of ids) {
        this.stmt(`UPDATE runs SET status = 'interrupted', status_reason = ?, updated_at = ? WHERE id = ?`).run(
          INTERRUPTED_REASON,
          now,
          id,
        );
      }
      return ids;
    });
  }

  exists(id: string): boolean {
    return this.stmt('SELECT 1 FROM runs WHERE id = ?').get(id) !== undefined;
  }

  /** Inserts a complete record (import); its files must already be in `runDir(record.id)`. */
  insertRecord(record: RunRecord): void {
    this.transaction(() => {
      this.insertRow(rowFromRecord(record, this.runDir(record.id)));
      record.epochs.forEach((m, i) => {
        this.stmt('INSERT INTO epochs (run_id, seq, phase, epoch, metrics) VALUES (?, ?, ?, ?, ?)').run(
          record.id,
          i + 1,
          m.phase,
          m.epoch,
          epochMetricsJson(m),
        );
      });
      record.greedy.forEach((g, i) => {
        this.stmt(
          'INSERT INTO greedy (run_id, seq, block, label, pass, test_acc, val_acc, kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(record.id, i + 1, g.block, g.label, g.pass, g.testAcc, g.valAcc ?? null, g.kept ? 1 : 0);
      });
    });
  }

  /** `PRAGMA integrity_check` and `foreign_key_check`; ['ok'] when the file is sound. */
  check(): string[] {
    const integrity = (this.db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    const fk = (this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]).map(
      (r) => `${r.table} row ${r.rowid} points to a missing ${r.parent}`,
    );
    return integrity.length === 1 && integrity[0] === 'ok' && fk.length === 0
      ? ['ok']
      : [...integrity.filter((s) => s !== 'ok'), ...fk];
  }

  private statusOf(id: string): RunStatus {
    const row = this.stmt('SELECT status FROM runs WHERE id = ?').get(id) as { status: RunStatus } | undefined;
    if (!row) throw runNotFound(id);
    return row.status;
  }

  private insertRow(row: RunRow): void {
    const cols = Object.keys(row);
    this.stmt(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(row);
  }

  /** Sets the given columns (names come from this file, never from input) and `updated_at`. */
  private update(id: string, sets: Partial<RunRow>): void {
    const cols = Object.keys(sets);
    const assign = [...cols.map((c) => `${c} = @${c}`), 'updated_at = @now'].join(', ');
    const info = this.stmt(`UPDATE runs SET ${assign} WHERE id = @id`).run({
      ...sets,
      id,
      now: new Date().toISOString(),
    });
    if (info.changes === 0) throw runNotFound(id);
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare<unknown[]>(sql)));
    return s;
  }
}
