/** Host information and the user's preferences (backend, dataset path), kept across sessions. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { HostApi, RunConfig } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import type { ConnectionState } from '../api/transport';
import { loadPref, savePref } from '../lib/prefs';

export type HostInfo = Awaited<ReturnType<HostApi['info']>>;

export const useSettingsStore = defineStore('settings', () => {
  const host = useHost();
  const info = ref<HostInfo | null>(null);
  const error = ref<string | null>(null);
  const connection = ref<ConnectionState>(host.state);
  const transport = host.kind;
  const backend = ref<RunConfig['backend']>(loadPref('dwswap.backend', 'auto') as RunConfig['backend']);
  const dataPath = ref<string>(loadPref('dwswap.dataPath', ''));

  watch(backend, (v) => savePref('dwswap.backend', v));
  watch(dataPath, (v) => savePref('dwswap.dataPath', v));

  /** The host answered info() on the current connection. */
  const reachable = computed(() => connection.value === 'open' && info.value !== null);
  const chosenBackend = computed(() => info.value?.backend?.chosen ?? null);
  const device = computed(() => info.value?.backend?.device ?? null);

  async function load(): Promise<void> {
    try {
      info.value = await host.info();
      error.value = null;
      if (!dataPath.value && info.value.defaultDataset) dataPath.value = info.value.defaultDataset;
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  /** Whether a backend is known to be unavailable on this host, and why. */
  function backendProblem(name: string): string | null {
    const t = info.value?.backend?.tried.find((b) => b.name === name);
    return t && !t.available ? t.reason : null;
  }

  host.onConnection((s) => {
    connection.value = s;
  });
  host.onReconnect(() => void load());
  void load();

  return {
    info,
    error,
    connection,
    transport,
    backend,
    dataPath,
    reachable,
    chosenBackend,
    device,
    load,
    backendProblem,
  };
});
