/** ONNX files in the UI: where a run's model is proposed to go, and the check in words (pure, for tests). */
import type { OnnxCheck } from '@contract';
import { archiveFileName } from './archive';

/** `<dataDir>/exports/<run name>.onnx`, with the separator the host's data folder uses. */
export function defaultOnnxPath(dataDir: string, run: { name: string; id: string }): string {
  const sep = dataDir.includes('\\') && !dataDir.includes('/') ? '\\' : '/';
  const base = dataDir.replace(/[\\/]+$/, '');
  return [base, 'exports', archiveFileName(run.name, run.id).replace(/\.dwrun$/, '.onnx')].join(sep);
}

/** "max relative error 1.4e-7 (tolerance 1e-4), ONNX Runtime cpu, 8 images" */
export function checkSummary(c: OnnxCheck): string {
  return `max relative error ${c.maxRelError.toExponential(1)} against the engine (tolerance ${c.tolerance}), ONNX Runtime ${c.provider}, ${c.images} images`;
}
