/**
 * The training worker thread's entry (a composition root): runs one job with the store's crash-safe
 * file writes and reports back over its message port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeDirAtomic, writeFileAtomic } from '../store/files';
import type { FromWorker, JobSpec, ToWorker } from './messages';
import { runJob } from './job';

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');
const controller = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') controller.abort();
});
await runJob(workerData as JobSpec, controller.signal, (m: FromWorker) => port.postMessage(m), {
  writeFile: writeFileAtomic,
  writeDir: writeDirAtomic,
});
port.close();
