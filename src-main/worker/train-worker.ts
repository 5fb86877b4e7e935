/** The training worker thread: runs one job and reports back over its message port. */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, JobSpec, ToWorker } from './messages';
import { runJob } from './job';

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');
const controller = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') controller.abort();
});
await runJob(workerData as JobSpec, controller.signal, (m: FromWorker) => port.postMessage(m));
port.close();
