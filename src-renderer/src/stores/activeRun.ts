/** The run being watched: its record, live progress, epochs, greedy decisions and log; start/cancel/resume. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  EpochMetrics,
  GreedyRecord,
  HostEvent,
  ProgressEvent,
  RunConfigInput,
  RunRecord,
  RunStatus,
} from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { canResume, isActive } from '../lib/runFilters';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  at: number;
}

const epochKey = (e: EpochMetrics) => `${e.phase}#${e.epoch}`;
const greedyKey = (g: GreedyRecord) => `${g.block}#${g.pass}`;

/** `base` followed by the items of `extra` it does not already hold. */
function mergeBy<T>(base: readonly T[], extra: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set(base.map(key));
  return [...base, ...extra.filter((t) => !seen.has(key(t)))];
}

export const useActiveRunStore = defineStore('activeRun', () => {
  const host = useHost();
  const runId = ref<string | null>(null);
  const record = ref<RunRecord | null>(null);
  const progress = ref<ProgressEvent | null>(null);
  const epochs = ref<EpochMetrics[]>([]);
  const greedy = ref<GreedyRecord[]>([]);
  const logs = ref<LogLine[]>([]);
  const status = ref<RunStatus | null>(null);
  const statusReason = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const actionError = ref<string | null>(null);

  const active = computed(() => status.value !== null && isActive(status.value));
  const resumable = computed(() => status.value !== null && canResume(status.value));

  async function reload(): Promise<void> {
    const id = runId.value;
    if (!id) return;
    loading.value = true;
    try {
      const r = await host.getRun(id);
      if (runId.value !== id) return;
      record.value = r;
      epochs.value = mergeBy(r.epochs, epochs.value, epochKey);
      greedy.value = mergeBy(r.greedy, greedy.value, greedyKey);
      status.value = r.status;
      statusReason.value = r.statusReason;
      error.value = null;
    } catch (e) {
      if (runId.value === id) error.value = errorMessage(e);
    } finally {
      if (runId.value === id) loading.value = false;
    }
  }

  async function watchRun(id: string): Promise<void> {
    if (runId.value === id && record.value) return reload();
    runId.value = id;
    record.value = null;
    progress.value = null;
    epochs.value = [];
    greedy.value = [];
    logs.value = [];
    status.value = null;
    statusReason.value = null;
    actionError.value = null;
    await reload();
  }

  function handle(e: HostEvent): void {
    if (e.runId !== runId.value) return;
    if (e.type === 'progress') {
      progress.value = e;
      if (status.value === 'queued' || status.value === null) status.value = 'running';
    } else if (e.type === 'epoch') {
      epochs.value = mergeBy(epochs.value, [e.metrics], epochKey);
    } else if (e.type === 'greedy') {
      greedy.value = mergeBy(greedy.value, [e.record], greedyKey);
    } else if (e.type === 'status') {
      status.value = e.status;
      statusReason.value = e.reason;
      if (!isActive(e.status)) void reload();
    } else {
      logs.value = [...logs.value.slice(-199), { level: e.level, message: e.message, at: Date.now() }];
    }
  }

  /** Starts a run and watches it. Errors are thrown for the launcher (HostError keeps `field`). */
  async function start(config: RunConfigInput): Promise<string> {
    const { id } = await host.startRun(config);
    await watchRun(id);
    return id;
  }

  async function act(fn: (id: string) => Promise<void>): Promise<void> {
    if (!runId.value) return;
    actionError.value = null;
    try {
      await fn(runId.value);
      await reload();
    } catch (e) {
      actionError.value = errorMessage(e);
    }
  }
  const cancel = () => act((id) => host.cancelRun(id));
  const resume = () =>
    act(async (id) => {
      progress.value = null;
      await host.resumeRun(id);
    });

  host.onEvent(handle);
  host.onReconnect(() => void reload());

  return {
    runId,
    record,
    progress,
    epochs,
    greedy,
    logs,
    status,
    statusReason,
    loading,
    error,
    actionError,
    active,
    resumable,
    watchRun,
    reload,
    start,
    cancel,
    resume,
  };
});
