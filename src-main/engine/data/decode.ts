/** JPEG decoding of an indexed image tree into HWC RGB byte arrays. */
import jpeg from 'jpeg-js';
import { DataError, IMAGE_BYTES, IMAGE_SIDE, errorText, yieldToLoop, type Split, type SplitName } from './types';

/** Decodes one 32x32 JPEG to 3072 HWC RGB bytes; `name` and `where` go into the error message. */
export function decodeJpeg(bytes: Uint8Array, name: string, where: string): Uint8Array {
  let img: { width: number; height: number; data: Uint8Array };
  if (bytes.length === 0) throw new DataError(`image ${name} in ${where} is empty (0 bytes) — replace or remove that file`);
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 64 });
  } catch (e) {
    throw new DataError(`cannot decode image ${name} in ${where}: ${errorText(e)} — replace or remove that file`);
  }
  if (img.width !== IMAGE_SIDE || img.height !== IMAGE_SIDE || img.data.length !== IMAGE_BYTES) {
    const ch = img.width * img.height > 0 ? Math.round(img.data.length / (img.width * img.height)) : 0;
    throw new DataError(
      `image ${name} in ${where} is ${img.width}x${img.height}x${ch}, expected 32x32x3 — resize the images to 32x32 RGB`,
    );
  }
  return img.data;
}

export interface DecodeJob {
  files: Record<SplitName, string[][]>;
  read: (path: string) => Uint8Array;
  where: string;
  onProgress?: (done: number, total: number) => void;
}

const YIELD_EVERY = 500;

/** Decodes the selected files class by class (class-major order, files sorted by name). */
export async function decodeTree(job: DecodeJob): Promise<Record<SplitName, Split>> {
  const count = (s: SplitName): number => job.files[s].reduce((n, l) => n + l.length, 0);
  const total = count('train') + count('test');
  let done = 0;
  const out = {} as Record<SplitName, Split>;
  for (const s of ['train', 'test'] as const) {
    const n = count(s);
    const split: Split = { images: new Uint8Array(n * IMAGE_BYTES), labels: new Uint8Array(n), count: n };
    let i = 0;
    for (const [label, list] of job.files[s].entries()) {
      for (const path of list) {
        split.images.set(decodeJpeg(job.read(path), path, job.where), i * IMAGE_BYTES);
        split.labels[i++] = label;
        if (++done % YIELD_EVERY === 0) {
          job.onProgress?.(done, total);
          await yieldToLoop();
        }
      }
    }
    out[s] = split;
  }
  job.onProgress?.(done, total);
  return out;
}
