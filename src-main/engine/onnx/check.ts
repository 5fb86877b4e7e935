/**
 * The on-the-spot check of an export: the same fixed batch through the engine and through ONNX
 * Runtime, outputs compared. Relative error = max |onnx - engine| / max |engine| over the batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnnxCheck } from '../../contract';
import { closeSession, openSession, runBatch, type SessionOptions } from './runtime';

export const CHECK_TOLERANCE = 1e-4;
export const CHECK_BATCH = 8;

/** A fixed batch of `n` normalised-looking inputs (seeded normal), NHWC. */
export function fixedBatch(n: number, size: number, seed = 1234): tf.Tensor4D {
  return tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

export async function checkExport(model: tf.LayersModel, bytes: Uint8Array, size: number, opts: SessionOptions = { threads: 1, provider: 'cpu' }): Promise<OnnxCheck> {
  const x = fixedBatch(CHECK_BATCH, size);
  const y = model.predict(x) as tf.Tensor;
  const [xs, ys] = [(await x.data()) as Float32Array, (await y.data()) as Float32Array];
  tf.dispose([x, y]);
  const s = await openSession(bytes, opts);
  try {
    const got = await runBatch(s, xs, [CHECK_BATCH, size, size, 3]);
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < ys.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got[i] - ys[i]));
      maxRef = Math.max(maxRef, Math.abs(ys[i]));
    }
    if (got.length !== ys.length) maxAbs = Infinity;
    const rel = maxRef === 0 ? maxAbs : maxAbs / maxRef;
    return { images: CHECK_BATCH, maxAbsError: maxAbs, maxRelError: rel, tolerance: CHECK_TOLERANCE, passed: rel <= CHECK_TOLERANCE, provider: s.provider };
  } finally {
    await closeSession(s);
  }
}
