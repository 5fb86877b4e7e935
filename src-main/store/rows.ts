/**
 * Table rows and their mapping to the contract's RunRecord / RunSummary.
 */
import path from 'node:path';
import type {
  EpochMetrics,
  FinalMetrics,
  GreedyRecord,
  ProtocolKind,
  RunConfig,
  RunOrigin,
  RunRecord,
  RunStatus,
  RunSummary,
} from '../contract';
import { decodeJson, encodeJson } from './json';

export interface RunRow {
  id: string;
  name: string;
  tags: string;
  protocol: string;
  status: string;
  status_reason: string | null;
  config: string;
  created_at: string;
  updated_at: string;
  backend: string | null;
  device: string | null;
  dataset_checksum: string | null;
  app_version: string;
  final: string | null;
  swapped: string;
  checkpoint_path: string | null;
  weights_path: string | null;
  origin: string | null;
}

export interface SummaryRow extends Omit<RunRow, 'config'> {
  width_divisor: number | null;
}

export interface EpochRow {
  phase: string;
  epoch: number;
  metrics: string;
}

export interface GreedyRow {
  block: string;
  label: string;
  pass: number;
  test_acc: number | null;
  val_acc?: number | null;
  kept: number;
}

/** Artefact paths are stored relative to the run folder when inside it, so a folder can move. */
export function toStoredPath(runDir: string, p: string | null): string | null {
  if (p === null) return null;
  const abs = path.resolve(runDir, p);
  const rel = path.relative(runDir, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  return inside ? rel.split(path.sep).join('/') : abs;
}

export function fromStoredPath(runDir: string, p: string | null): string | null {
  return p === null ? null : path.resolve(runDir, p);
}

type Base = Omit<RunRecord, 'epochs' | 'greedy' | 'config'>;

function baseFromRow(row: Omit<RunRow, 'config'>, runDir: string): Base {
  return {
    id: row.id,
    name: row.name,
    tags: JSON.parse(row.tags) as string[],
    protocol: row.protocol as ProtocolKind,
    status: row.status as RunStatus,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    backend: row.backend,
    device: row.device,
    datasetChecksum: row.dataset_checksum,
    appVersion: row.app_version,
    final: row.final === null ? null : decodeJson<FinalMetrics>(row.final),
    swapped: JSON.parse(row.swapped) as string[],
    checkpointPath: fromStoredPath(runDir, row.checkpoint_path),
    weightsPath: fromStoredPath(runDir, row.weights_path),
    origin: row.origin ? (JSON.parse(row.origin) as RunOrigin) : null,
  };
}

export function summaryFromRow(row: SummaryRow, runDir: string): RunSummary {
  return { ...baseFromRow(row, runDir), widthDivisor: row.width_divisor ?? 1 };
}

export function recordFromRows(row: RunRow, epochs: EpochRow[], greedy: GreedyRow[], runDir: string): RunRecord {
  return {
    ...baseFromRow(row, runDir),
    config: JSON.parse(row.config) as RunConfig,
    epochs: epochs.map(epochFromRow),
    greedy: greedy.map(greedyFromRow),
  };
}

function epochFromRow(row: EpochRow): EpochMetrics {
  return { phase: row.phase, epoch: row.epoch, ...decodeJson<Omit<EpochMetrics, 'phase' | 'epoch'>>(row.metrics) };
}

function greedyFromRow(row: GreedyRow): GreedyRecord {
  return {
    block: row.block,
    label: row.label,
    pass: row.pass === 2 ? 2 : 1,
    testAcc: row.test_acc ?? Number.NaN,
    ...(row.val_acc === null || row.val_acc === undefined ? {} : { valAcc: row.val_acc }),
    kept: row.kept === 1,
  };
}

export function epochMetricsJson(m: EpochMetrics): string {
  const { loss, trainAcc, testAcc, testLoss, seconds, samplesPerSec, valAcc } = m;
  return encodeJson({ loss, trainAcc, testAcc, testLoss, seconds, samplesPerSec, ...(valAcc === undefined ? {} : { valAcc }) });
}

/** The full row for a record (import); `runDir` is the folder the record's files now live in. */
export function rowFromRecord(r: RunRecord, runDir: string): RunRow {
  return {
    id: r.id,
    name: r.name,
    tags: JSON.stringify(r.tags),
    protocol: r.protocol,
    status: r.status,
    status_reason: r.statusReason,
    config: JSON.stringify(r.config),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    backend: r.backend,
    device: r.device,
    dataset_checksum: r.datasetChecksum,
    app_version: r.appVersion,
    final: r.final === null ? null : encodeJson(r.final),
    swapped: JSON.stringify(r.swapped),
    checkpoint_path: toStoredPath(runDir, r.checkpointPath),
    weights_path: toStoredPath(runDir, r.weightsPath),
    origin: r.origin ? JSON.stringify(r.origin) : null,
  };
}
