/**
 * Test accuracy of an ONNX file through ONNX Runtime. The file must be a classifier of 32x32 RGB
 * images, NHWC (batch, 32, 32, 3) as the workbench exports or NCHW (batch, 3, 32, 32) as PyTorch
 * exports, with one output of one score per class; anything else gets one line saying what it is.
 */
import * as fs from 'node:fs';
import { normalisedPixels, type Split } from '../data';
import { IMAGE_SIDE } from '../data/types';
import { closeSession, openSession, runBatch, type OrtSession, type SessionOptions } from './runtime';

export class OnnxFileError extends Error {
  readonly code = 'bad-input';
}

export type Layout = 'nhwc' | 'nchw';

export interface OnnxAccuracy {
  images: number;
  correct: number;
  testAcc: number;
  perClassAcc: number[];
  provider: string;
  threads: number;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}

/** Opens `file`, refusing a missing, truncated or non-ONNX file with one line. */
export async function openOnnxFile(file: string, opts: SessionOptions): Promise<OrtSession> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new OnnxFileError(`no ONNX file at ${file}; give the path of a .onnx file (dwswap export-onnx writes one)`);
  try {
    return await openSession(fs.readFileSync(file), opts);
  } catch (e) {
    throw new OnnxFileError(`${file} is not a readable ONNX model (${firstLine(e)}); it may be truncated or not ONNX — export it again`);
  }
}

/** The layout of a session's single image input; throws when it is not a 32x32 RGB float input. */
export function inputLayout(s: OrtSession, file: string): Layout {
  const meta = s.session.inputMetadata;
  const shown = meta.map((m) => `'${m.name}'${m.isTensor ? ` [${m.shape.join(', ')}] ${m.type}` : ''}`).join(', ');
  const need = `the evaluator needs one float32 image input (batch, ${IMAGE_SIDE}, ${IMAGE_SIDE}, 3) or (batch, 3, ${IMAGE_SIDE}, ${IMAGE_SIDE})`;
  if (meta.length !== 1 || !meta[0].isTensor || meta[0].type !== 'float32' || meta[0].shape.length !== 4) throw new OnnxFileError(`${file} takes ${shown || 'no input'}; ${need}`);
  const [, a, b, c] = meta[0].shape;
  if (a === IMAGE_SIDE && b === IMAGE_SIDE && c === 3) return 'nhwc';
  if (a === 3 && b === IMAGE_SIDE && c === IMAGE_SIDE) return 'nchw';
  throw new OnnxFileError(`${file} takes ${shown}; ${need}`);
}

function toNchw(x: Float32Array, n: number): Float32Array {
  const hw = IMAGE_SIDE * IMAGE_SIDE;
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) out[(i * 3 + c) * hw + p] = x[(i * hw + p) * 3 + c];
  return out;
}

/** Accuracy of the file's argmax on `split`, `batch` images at a time. */
export async function evaluateOnnx(file: string, split: Split, classes: number, opts: SessionOptions & { batch?: number; onProgress?: (done: number, total: number) => void }): Promise<OnnxAccuracy> {
  const s = await openOnnxFile(file, opts);
  try {
    const layout = inputLayout(s, file);
    const batch = opts.batch ?? 100;
    const right = new Array<number>(classes).fill(0);
    const seen = new Array<number>(classes).fill(0);
    for (let i = 0; i < split.count; i += batch) {
      const n = Math.min(batch, split.count - i);
      const px = normalisedPixels(split, i, n);
      const dims = layout === 'nhwc' ? [n, IMAGE_SIDE, IMAGE_SIDE, 3] : [n, 3, IMAGE_SIDE, IMAGE_SIDE];
      const out = await runScores(s, layout === 'nhwc' ? px : toNchw(px, n), dims, file);
      if (out.length !== n * classes) throw new OnnxFileError(`${file} outputs ${out.length / n} values per image; a classifier of the dataset's ${classes} classes is needed`);
      for (let j = 0; j < n; j++) {
        const label = split.labels[i + j];
        seen[label]++;
        if (argmax(out, j * classes, classes) === label) right[label]++;
      }
      opts.onProgress?.(i + n, split.count);
    }
    const correct = right.reduce((a, b) => a + b, 0);
    return { images: split.count, correct, testAcc: correct / Math.max(1, split.count), perClassAcc: right.map((r, c) => (seen[c] ? r / seen[c] : 0)), provider: s.provider, threads: s.threads };
  } finally {
    await closeSession(s);
  }
}

async function runScores(s: OrtSession, x: Float32Array, dims: number[], file: string): Promise<Float32Array> {
  try {
    return await runBatch(s, x, dims);
  } catch (e) {
    throw new OnnxFileError(`${file} failed on a batch of images (${firstLine(e)}); it is not a classifier of 32x32 RGB images`);
  }
}

function argmax(a: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (a[at + k] > a[at + best]) best = k;
  return best;
}
