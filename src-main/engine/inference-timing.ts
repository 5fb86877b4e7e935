/**
 * Inference time of several models, compared fairly: each model exported to ONNX and timed in ONNX
 * Runtime, and (optionally) timed in the engine on its TF.js backend, both under the alternating
 * protocol of timing.ts (warm-up until stable, models alternated, order rotated, >= 5 repeats).
 */
import * as tf from '@tensorflow/tfjs';
import type { InferenceTimingConfig, RuntimeTiming, TimedBatch } from '../contract';
import { yieldToLoop } from './data/types';
import { fixedBatch } from './onnx/check';
import { closeSession, openSession, ortVersion, runBatch, type OrtSession } from './onnx/runtime';
import { timeAlternated, type Subject, type SubjectTiming } from './timing';

export interface TimedModel {
  id: string;
  model: tf.LayersModel;
  onnx: Uint8Array;
  inputSize: number;
}

export interface ModelTimings {
  onnxruntime: RuntimeTiming;
  engine: RuntimeTiming | null;
}

function asBatches(per: Map<string, TimedBatch[]>, t: SubjectTiming[], batch: number): void {
  for (const s of t) per.get(s.id)!.push({ batch, msPerImage: s.msPerImage, warmupRounds: s.warmupRounds, stable: s.stable });
}

/** Told when each (runtime, batch) block of the protocol starts, e.g. to show progress. */
export type PhaseListener = (phase: string) => void;

async function timeOrt(models: readonly TimedModel[], cfg: InferenceTimingConfig, between?: () => Promise<void>, onPhase?: PhaseListener) {
  const sessions: OrtSession[] = [];
  try {
    for (const m of models) sessions.push(await openSession(m.onnx, { threads: cfg.threads, provider: cfg.provider }));
    const per = new Map<string, TimedBatch[]>(models.map((m) => [m.id, []]));
    for (const batch of cfg.batches) {
      onPhase?.(`ONNX Runtime (${sessions[0].provider}, ${sessions[0].threads} thread${sessions[0].threads === 1 ? '' : 's'}), batch ${batch}`);
      const subjects: Subject[] = models.map((m, i) => {
        const x = fixedBatchData(batch, m.inputSize);
        const dims = [batch, m.inputSize, m.inputSize, 3];
        return { id: m.id, run: async () => void (await runBatch(sessions[i], x, dims)) };
      });
      asBatches(per, await timeAlternated(subjects, { batch, repeats: cfg.repeats, warmupTolerance: cfg.warmupTolerance, maxWarmupRounds: cfg.maxWarmupRounds, between }), batch);
    }
    return { per, provider: sessions[0].provider, threads: sessions[0].threads };
  } finally {
    await Promise.all(sessions.map(closeSession));
  }
}

function fixedBatchData(batch: number, size: number): Float32Array {
  const x = fixedBatch(batch, size);
  const data = x.dataSync() as Float32Array;
  x.dispose();
  return data;
}

async function timeEngine(models: readonly TimedModel[], cfg: InferenceTimingConfig, between?: () => Promise<void>, onPhase?: PhaseListener) {
  const per = new Map<string, TimedBatch[]>(models.map((m) => [m.id, []]));
  for (const batch of cfg.batches) {
    onPhase?.(`engine (TF.js ${tf.getBackend()}), batch ${batch}`);
    const inputs = models.map((m) => fixedBatch(batch, m.inputSize));
    try {
      const subjects: Subject[] = models.map((m, i) => ({
        id: m.id,
        run: async () => {
          const y = m.model.predict(inputs[i]) as tf.Tensor;
          await y.data(); // read back: asynchronous backends are timed to completion
          y.dispose();
        },
      }));
      const pause = async () => {
        await yieldToLoop();
        await between?.();
      };
      asBatches(per, await timeAlternated(subjects, { batch, repeats: cfg.repeats, warmupTolerance: cfg.warmupTolerance, maxWarmupRounds: cfg.maxWarmupRounds, between: pause }), batch);
    } finally {
      tf.dispose(inputs);
    }
  }
  return per;
}

/** Times every model in ONNX Runtime (and the engine when cfg.engine); results by model id. */
export async function timeModels(models: readonly TimedModel[], cfg: InferenceTimingConfig, between?: () => Promise<void>, onPhase?: PhaseListener): Promise<Map<string, ModelTimings>> {
  const ort = await timeOrt(models, cfg, between, onPhase);
  const engine = cfg.engine ? await timeEngine(models, cfg, between, onPhase) : null;
  const out = new Map<string, ModelTimings>();
  for (const m of models) {
    out.set(m.id, {
      onnxruntime: { runtime: 'onnxruntime', version: ortVersion(), provider: ort.provider, threads: ort.threads, batches: ort.per.get(m.id)! },
      engine: engine ? { runtime: 'engine', version: tf.version.tfjs, provider: tf.getBackend(), threads: null, batches: engine.get(m.id)! } : null,
    });
  }
  return out;
}
