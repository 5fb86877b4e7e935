/**
 * Where the training worker's entry lies, from sources or bundled, and how to start it.
 *
 * - From sources (tsx, vitest): this file is `src-main/host/worker-url.ts`, the worker is
 *   `src-main/worker/train-worker.ts`. Node 20 does not pass tsx's loader on to worker threads,
 *   so `startTrainWorker` starts a tiny eval'd bootstrap that registers tsx, then imports it.
 * - Bundled (electron-vite): electron.vite.config.ts emits the worker as its own entry,
 *   `out/main/train-worker.js`, and keeps every chunk flat in `out/main/`, so whichever chunk this
 *   code lands in, the worker is its sibling.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when running from TypeScript sources rather than from the electron-vite bundle. */
export function fromSources(): boolean {
  return import.meta.url.endsWith('.ts');
}

export function trainWorkerUrl(): URL {
  return fromSources()
    ? new URL('../worker/train-worker.ts', import.meta.url)
    : new URL('./train-worker.js', import.meta.url);
}

/** Starts the training worker with `options` (workerData, resourceLimits...), from sources or bundled. */
export function startTrainWorker(options: WorkerOptions = {}): Worker {
  const url = trainWorkerUrl();
  if (!fromSources()) return new Worker(url, options);
  const bootstrap =
    `import('tsx/esm/api').then(({ register }) => { register(); ` + `return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
