/**
 * Applies what a training worker reports to the run store (durably, in transactions) and turns it
 * into the contract's events for the UI.
 */
import type { HostEvent } from '../contract';
import type { Store } from '../store';
import type { FromWorker } from '../worker/messages';

export function applyWorkerMessage(store: Store, runId: string, m: FromWorker, emit: (e: HostEvent) => void): void {
  switch (m.type) {
    case 'backend':
      store.setBackend(runId, m.report.chosen, m.report.device);
      store.setStatus(runId, 'running');
      emit({ type: 'status', runId, status: 'running', reason: null });
      for (const t of m.report.tried.filter((x) => !x.available)) emit({ type: 'log', runId, level: 'info', message: `${t.name} skipped: ${t.reason}` });
      return;
    case 'dataset':
      store.setDataset(runId, m.checksum);
      emit({ type: 'log', runId, level: 'info', message: `dataset: ${m.train} training${m.val ? `, ${m.val} validation (held out of training)` : ''} and ${m.test} test images (${m.source})` });
      return;
    case 'resumed':
      store.replaceGreedy(runId, m.greedy);
      emit({ type: 'log', runId, level: 'info', message: `resumed from its checkpoint after ${m.epochsSpent} epochs` });
      return;
    case 'engine':
      return applyEngineEvent(store, runId, m.event, emit);
    case 'checkpoint':
      store.setArtefacts(runId, { checkpointPath: m.dir });
      return;
    case 'done':
      store.transaction(() => {
        store.setFinal(runId, m.final, m.swapped);
        if (m.modelDir) store.setArtefacts(runId, { weightsPath: m.modelDir });
        store.setStatus(runId, 'done');
      });
      emit({ type: 'status', runId, status: 'done', reason: null });
      return;
    case 'cancelled':
      store.setStatus(runId, 'cancelled', 'cancelled by the user; resume it to continue from its last checkpoint');
      emit({ type: 'status', runId, status: 'cancelled', reason: null });
      return;
    case 'failed':
      store.setStatus(runId, 'failed', m.message);
      emit({ type: 'status', runId, status: 'failed', reason: m.message });
      return;
  }
}

function applyEngineEvent(store: Store, runId: string, e: Extract<FromWorker, { type: 'engine' }>['event'], emit: (e: HostEvent) => void): void {
  switch (e.type) {
    case 'progress':
      emit({ type: 'progress', runId, ...e.progress, fraction: e.fraction, etaSeconds: e.etaSeconds });
      return;
    case 'epoch':
      store.addEpoch(runId, e.metrics);
      emit({ type: 'epoch', runId, metrics: e.metrics });
      return;
    case 'greedy':
      store.addGreedy(runId, e.record);
      emit({ type: 'greedy', runId, record: e.record });
      return;
    case 'log':
      emit({ type: 'log', runId, level: e.level, message: e.message });
      return;
  }
}
