/** The run history: list, filters and search, rename/tag/delete; refreshed on status events. */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { RunSummary } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { debounce } from '../lib/debounce';
import { EMPTY_FILTER, baselineCandidates, filterRuns, type RunFilter } from '../lib/runFilters';

export const useRunsStore = defineStore('runs', () => {
  const host = useHost();
  const list = ref<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filter = reactive<RunFilter>({ ...EMPTY_FILTER });

  const filtered = computed(() => filterRuns(list.value, filter));
  const baselines = computed(() => baselineCandidates(list.value));
  const filtering = computed(() => filter.search !== '' || filter.status !== 'all' || filter.protocol !== 'all');

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      list.value = await host.listRuns();
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
  }
  const refreshSoon = debounce(() => void refresh(), 250);

  function byId(id: string): RunSummary | undefined {
    return list.value.find((r) => r.id === id);
  }
  async function rename(id: string, name: string): Promise<void> {
    await host.renameRun(id, name);
    await refresh();
  }
  async function tag(id: string, tags: string[]): Promise<void> {
    await host.tagRun(id, tags);
    await refresh();
  }
  async function remove(id: string): Promise<void> {
    await host.deleteRun(id);
    await refresh();
  }
  /** Writes the run as a `.dwrun` file on the host's disk; resolves with the path written. */
  async function exportRun(id: string, path: string, overwrite = false): Promise<string> {
    return (await host.exportRun(id, path, overwrite)).path;
  }
  /** Adds the run in a `.dwrun` file on the host's disk; resolves with its id once the list has it. */
  async function importRun(path: string): Promise<string> {
    const { id } = await host.importRun(path);
    await refresh();
    return id;
  }
  function clearFilter(): void {
    Object.assign(filter, EMPTY_FILTER);
  }

  host.onEvent((e) => {
    if (e.type === 'status' || (e.type === 'progress' && !byId(e.runId))) refreshSoon();
  });
  host.onReconnect(() => void refresh());
  void refresh();

  return {
    list,
    loaded,
    loading,
    error,
    filter,
    filtered,
    baselines,
    filtering,
    refresh,
    byId,
    rename,
    tag,
    remove,
    exportRun,
    importRun,
    clearFilter,
  };
});
