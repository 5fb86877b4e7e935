/** The launcher's draft run configuration, prefilled from Architecture or a past run; dataset checks. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { DatasetCheck, RunRecord, RunSummary } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { machineDefaults, recordedSpeed, speedSource } from '../lib/estimate';
import { defaultDraft, draftFromConfig, type RunDraft } from '../lib/runForm';
import { useArchitectureStore } from './architecture';
import { useRunsStore } from './runs';
import { useSettingsStore } from './settings';

export const useLauncherStore = defineStore('launcher', () => {
  const host = useHost();
  const settings = useSettingsStore();
  const architecture = useArchitectureStore();
  const runs = useRunsStore();
  /** What the host picks on 'auto': its report, else the backend of its newest run, else unknown (null). */
  const hostBackend = computed(() => {
    if (settings.chosenBackend) return settings.chosenBackend;
    const newest = [...runs.list].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return newest?.final?.backend ?? newest?.backend ?? null;
  });
  /** Set when the defaults were sized for this machine (a CPU backend); says why. */
  const sizedFor = ref<string | null>(null);
  let pristine = '';
  const draft = ref<RunDraft>(fresh());
  /** Where the draft came from, for the banner above the form. */
  const origin = ref<string | null>(null);
  const dataset = ref<DatasetCheck | null>(null);
  const datasetError = ref<string | null>(null);
  const checking = ref(false);

  /** The backend a run of the draft would get: the forced one, else what the host picks. */
  const resolvedBackend = computed(() => (draft.value.backend === 'auto' ? hostBackend.value : draft.value.backend));
  function fresh(): RunDraft {
    const d = defaultDraft({
      dataPath: settings.dataPath,
      backend: settings.backend,
      widthDivisor: architecture.widthDivisor,
      swapped: architecture.model.swapped,
      swap: { ...architecture.swap },
    });
    const m = machineDefaults(settings.backend === 'auto' ? hostBackend.value : settings.backend);
    sizedFor.value = m?.reason ?? null;
    if (m) {
      if (architecture.widthDivisor === 1) d.model.widthDivisor = m.widthDivisor;
      Object.assign(d.data, { trainPerClass: m.trainPerClass, testPerClass: m.testPerClass });
      Object.assign(d, { batchSize: m.batchSize, epochs: m.epochs });
    }
    pristine = shape(d);
    return d;
  }
  /** A draft's settings apart from the dataset path (which the host's default may fill in later). */
  function shape(d: RunDraft): string {
    return JSON.stringify({ ...d, data: { ...d.data, path: '' } });
  }

  // The host's backend arrives after the first draft: resize an untouched draft to this machine.
  watch(
    () => hostBackend.value,
    () => {
      if (origin.value === null && shape(draft.value) === pristine) draft.value = fresh();
    },
  );

  /** Training speed recorded on this host for the draft's backend and width, and by which run. */
  const speed = ref<{ run: RunSummary; imagesPerSecond: number } | null>(null);
  watch(
    () => {
      const b = resolvedBackend.value;
      return b ? speedSource(runs.list, b, draft.value.model.widthDivisor) : null;
    },
    async (src) => {
      if (!src) return void (speed.value = null);
      if (speed.value?.run.id === src.id) return;
      const rate = recordedSpeed((await host.getRun(src.id).catch(() => null))?.epochs ?? []);
      speed.value = rate ? { run: src, imagesPerSecond: rate } : null;
    },
    { immediate: true },
  );

  // The host's default dataset arrives after the draft was made: use it if the path is still empty.
  watch(
    () => settings.dataPath,
    (p) => {
      if (p && !draft.value.data.path) draft.value.data.path = p;
    },
  );

  function reset(): void {
    draft.value = fresh();
    origin.value = null;
  }

  /** Carries the Architecture selection (width, swapped blocks, swap spec) into the draft. */
  function fromArchitecture(): void {
    const m = architecture.model;
    draft.value.model = { widthDivisor: m.widthDivisor, swapped: [...m.swapped], swap: { ...m.swap }, blockRanks: { ...m.blockRanks } };
    if (m.swapped.length > 0 && (draft.value.protocol === 'baseline' || draft.value.protocol === 'control')) {
      draft.value.protocol = 'manual';
    }
    origin.value = `the Architecture selection (${m.swapped.length} block${m.swapped.length === 1 ? '' : 's'} swapped)`;
  }

  function fromRun(r: RunRecord): void {
    draft.value = draftFromConfig(r.config, r.name ? `${r.name} (re-run)` : '');
    origin.value = `the configuration of “${r.name || r.id}”`;
  }

  /** Loads a past run and prefills the draft from its configuration. */
  async function fromRunId(id: string): Promise<void> {
    fromRun(await host.getRun(id));
  }

  let seq = 0;
  async function checkDataset(path: string): Promise<void> {
    const my = ++seq;
    dataset.value = null;
    datasetError.value = null;
    if (!path.trim()) return;
    checking.value = true;
    try {
      const c = await host.checkDataset(path.trim());
      if (my === seq) dataset.value = c;
    } catch (e) {
      if (my === seq) datasetError.value = errorMessage(e);
    } finally {
      if (my === seq) checking.value = false;
    }
  }

  return {
    draft,
    origin,
    dataset,
    datasetError,
    checking,
    resolvedBackend,
    sizedFor,
    speed,
    reset,
    fromArchitecture,
    fromRun,
    fromRunId,
    checkDataset,
  };
});
