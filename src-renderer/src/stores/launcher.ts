/** The launcher's draft run configuration, prefilled from Architecture or a past run; dataset checks. */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { DatasetCheck, RunRecord } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { defaultDraft, draftFromConfig, type RunDraft } from '../lib/runForm';
import { useArchitectureStore } from './architecture';
import { useSettingsStore } from './settings';

export const useLauncherStore = defineStore('launcher', () => {
  const host = useHost();
  const settings = useSettingsStore();
  const architecture = useArchitectureStore();
  const draft = ref<RunDraft>(fresh());
  /** Where the draft came from, for the banner above the form. */
  const origin = ref<string | null>(null);
  const dataset = ref<DatasetCheck | null>(null);
  const datasetError = ref<string | null>(null);
  const checking = ref(false);

  function fresh(): RunDraft {
    return defaultDraft({
      dataPath: settings.dataPath,
      backend: settings.backend,
      widthDivisor: architecture.widthDivisor,
      swapped: architecture.model.swapped,
      swap: { ...architecture.swap },
    });
  }

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
    draft.value.model = { widthDivisor: m.widthDivisor, swapped: [...m.swapped], swap: { ...m.swap } };
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

  return { draft, origin, dataset, datasetError, checking, reset, fromArchitecture, fromRun, fromRunId, checkDataset };
});
