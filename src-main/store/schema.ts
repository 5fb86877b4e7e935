/**
 * Validation of a RunRecord read from outside (an imported run.json). Non-finite metrics arrive as
 * the strings 'NaN', 'Infinity', '-Infinity' (see json.ts) and leave as numbers.
 */
import { z } from 'zod';
import { normaliseBlockName, PROTOCOLS, RunConfigSchema, SELECT_ON, upgradeRunConfig } from '../contract';
import type { RunRecord } from '../contract';
import { RUN_STATUSES } from './validate';

const metric = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number)]);
const count = z.number().int().min(0);
const blockName = z
  .string()
  .refine((s) => normaliseBlockName(s) !== null, { message: 'unknown block name' })
  .transform((s) => normaliseBlockName(s)!);

const EpochSchema = z.object({
  phase: z.string().min(1),
  epoch: count,
  loss: metric,
  trainAcc: metric,
  testAcc: metric.nullable(),
  testLoss: metric.nullable(),
  valAcc: metric.nullable().optional(),
  seconds: metric,
  samplesPerSec: metric,
});

const GreedySchema = z.object({
  block: blockName,
  label: z.string(),
  pass: z.union([z.literal(1), z.literal(2)]),
  testAcc: metric,
  valAcc: metric.nullable().optional(),
  kept: z.boolean(),
});

const SensitivityRowSchema = z.object({
  block: blockName,
  label: z.string(),
  r: count,
  acc: metric,
  drop: metric,
  kernelError: metric,
  paramsSaved: metric,
  mibSaved: metric,
  costSaved: metric,
  msSaved: metric.nullable().optional(),
});

const LatencyTableSchema = z.object({
  provider: z.string(),
  threads: count,
  ortVersion: z.string(),
  batch: count,
  classicalMs: metric,
  blocks: z.array(z.object({ block: blockName, denseMs: metric, separableMs: z.record(z.string(), metric) })),
});

const SensitivitySchema = z.object({
  baselineAcc: metric,
  evaluatedOn: z.enum(SELECT_ON),
  images: count,
  ranks: z.array(count),
  skipped: z.array(z.object({ block: z.string(), r: count, reason: z.string() })),
  costUnit: z.literal('MACs'),
  classical: z.object({ params: metric, mib: metric, cost: metric, ms: metric.nullable().optional() }),
  rows: z.array(SensitivityRowSchema),
  seconds: metric,
  latency: LatencyTableSchema.nullable().optional(),
  latencyNote: z.string().nullable().optional(),
});

const FinalSchema = z.object({
  trainAcc: metric,
  testAcc: metric,
  params: metric,
  weightsMiB: metric,
  blocksSwapped: count,
  inferenceSeconds: metric,
  inferenceBatch: count,
  inferenceImages: count,
  backend: z.string(),
  trainSeconds: metric,
  epochsTrained: count,
  valAcc: metric.nullable().optional(),
  valImages: count.optional(),
  macs: metric.optional(),
  sensitivity: SensitivitySchema.optional(),
  budget: z.object({ predictedDrop: metric, zeroShotDrop: metric.nullable(), finalDrop: metric.nullable() }).optional(),
});

export const RunRecordSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().trim().min(1).max(200),
  tags: z.array(z.string().trim().min(1).max(40)).max(32),
  protocol: z.enum(PROTOCOLS),
  status: z.enum(RUN_STATUSES),
  statusReason: z.string().nullable(),
  /** An archive written by 0.1.0 holds the configuration in its old shape. */
  config: z.preprocess(upgradeRunConfig, RunConfigSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  backend: z.string().nullable(),
  device: z.string().nullable(),
  datasetChecksum: z.string().nullable(),
  appVersion: z.string(),
  final: FinalSchema.nullable(),
  epochs: z.array(EpochSchema),
  greedy: z.array(GreedySchema),
  swapped: z.array(blockName),
  checkpointPath: z.string().nullable(),
  weightsPath: z.string().nullable(),
});

// Compile-time check that a parsed record is a RunRecord.
export type ParsedRunRecord = z.infer<typeof RunRecordSchema>;
const _isRecord: (r: ParsedRunRecord) => RunRecord = (r) => r;
void _isRecord;
