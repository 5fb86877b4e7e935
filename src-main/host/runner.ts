/**
 * Runs training jobs one at a time, each in its own worker thread, so the host's event loop (the
 * Electron main process, or the headless server) never blocks on TF.js. Cancel asks the worker to
 * stop after its current batch; a worker that does not answer in time is terminated.
 */
import type { Worker } from 'node:worker_threads';
import type { FromWorker, JobSpec } from '../worker/messages';
import { startTrainWorker } from './worker-url';

export interface JobHandlers {
  onMessage(runId: string, m: FromWorker): void;
  /** The worker ended without a terminal message (crash, termination). */
  onLost(runId: string, reason: string): void;
}

interface Active {
  spec: JobSpec;
  worker: Worker;
  finished: boolean;
  cancelTimer?: NodeJS.Timeout;
}

const CANCEL_GRACE_MS = 30_000;

export class Runner {
  private queue: JobSpec[] = [];
  private active: Active | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly handlers: JobHandlers) {}

  get runningId(): string | null {
    return this.active?.spec.runId ?? null;
  }

  isQueued(runId: string): boolean {
    return this.queue.some((j) => j.runId === runId);
  }

  enqueue(spec: JobSpec): void {
    this.queue.push(spec);
    this.pump();
  }

  /** Removes a queued job (true), or asks the running one to stop (true), or false if unknown. */
  cancel(runId: string): boolean {
    const before = this.queue.length;
    this.queue = this.queue.filter((j) => j.runId !== runId);
    if (this.queue.length !== before) return true;
    const a = this.active;
    if (!a || a.spec.runId !== runId) return false;
    a.worker.postMessage({ type: 'cancel' });
    a.cancelTimer ??= setTimeout(() => void a.worker.terminate(), CANCEL_GRACE_MS);
    return true;
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (!this.active && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops everything: queued jobs are dropped, the running worker is asked to stop, then terminated. */
  async shutdown(graceMs = 10_000): Promise<string[]> {
    const dropped = this.queue.map((j) => j.runId);
    this.queue = [];
    const a = this.active;
    if (a) {
      a.worker.postMessage({ type: 'cancel' });
      const timer = setTimeout(() => void a.worker.terminate(), graceMs);
      await this.idle();
      clearTimeout(timer);
    }
    return dropped;
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) {
      if (!this.active && this.queue.length === 0) this.idleWaiters.splice(0).forEach((r) => r());
      return;
    }
    const spec = this.queue.shift()!;
    const worker = startTrainWorker({ workerData: spec });
    const active: Active = { spec, worker, finished: false };
    this.active = active;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'done' || m.type === 'cancelled' || m.type === 'failed') active.finished = true;
      this.handlers.onMessage(spec.runId, m);
    });
    worker.on('error', (e) => {
      if (active.finished) return;
      active.finished = true;
      this.handlers.onLost(spec.runId, `the training worker crashed (${e.message.split('\n')[0]})`);
    });
    worker.on('exit', (code) => {
      clearTimeout(active.cancelTimer);
      if (!active.finished) {
        active.finished = true;
        this.handlers.onLost(spec.runId, `the training worker stopped unexpectedly (exit code ${code})`);
      }
      this.active = null;
      this.pump();
    });
  }
}
