/** Runs selected for comparison, the reference run, and the host's Comparison with each run's record. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { baselineOf, type Comparison, type RunRecord } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { loadPref, savePref } from '../lib/prefs';

export const useComparisonStore = defineStore('comparison', () => {
  const host = useHost();
  const selected = ref<string[]>(loadPref<string[]>('dwswap.compare', []));
  const referenceId = ref<string | null>(null);
  const result = ref<Comparison | null>(null);
  const records = ref<Record<string, RunRecord>>({});
  const loading = ref(false);
  const error = ref<string | null>(null);

  watch(selected, (v) => savePref('dwswap.compare', v), { deep: true });

  const runs = computed(() => selected.value.map((id) => records.value[id]).filter((r): r is RunRecord => !!r));

  function isSelected(id: string): boolean {
    return selected.value.includes(id);
  }
  function toggle(id: string): void {
    selected.value = isSelected(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id];
  }
  function select(ids: readonly string[], ref?: string | null): void {
    selected.value = [...new Set(ids)];
    if (ref !== undefined) referenceId.value = ref;
  }
  function clear(): void {
    selected.value = [];
    result.value = null;
  }

  /**
   * The host's Comparison plus every run's record (for configurations, backend and device), and
   * the records of the baselines they started from.
   */
  async function fetchReport(
    ids: readonly string[],
    ref?: string | null,
  ): Promise<{ comparison: Comparison; records: Record<string, RunRecord> }> {
    const reference = ref && ids.includes(ref) ? ref : undefined;
    const [comparison, recs] = await Promise.all([
      host.compare([...ids], reference),
      Promise.all(ids.map((id) => host.getRun(id))),
    ]);
    // The baselines the runs started from (for the epoch axis), where not compared themselves.
    const missing = [...new Set(recs.map((r) => baselineOf(r.config)))].filter(
      (b): b is string => !!b && !ids.includes(b),
    );
    const bases = await Promise.all(missing.map((b) => host.getRun(b).catch(() => null)));
    const all = [...recs, ...bases.filter((r): r is RunRecord => r !== null)];
    return { comparison, records: Object.fromEntries(all.map((r) => [r.id, r])) };
  }

  let seq = 0;
  async function load(): Promise<void> {
    const ids = [...selected.value];
    const my = ++seq;
    if (ids.length === 0) {
      result.value = null;
      return;
    }
    loading.value = true;
    try {
      const got = await fetchReport(ids, referenceId.value);
      if (my !== seq) return;
      result.value = got.comparison;
      referenceId.value = got.comparison.referenceId;
      records.value = got.records;
      error.value = null;
    } catch (e) {
      if (my === seq) error.value = errorMessage(e);
    } finally {
      if (my === seq) loading.value = false;
    }
  }

  return {
    selected,
    referenceId,
    result,
    records,
    runs,
    loading,
    error,
    isSelected,
    toggle,
    select,
    clear,
    fetchReport,
    load,
  };
});
