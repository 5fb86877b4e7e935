/**
 * The model being designed in the Architecture view: width divisor, swapped blocks and swap spec.
 * Every change asks the host to inspect() the model (debounced); the latest answer is kept.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { BLOCK_NAMES, type BlockLatency, type BlockLatencyReport, type BlockParams, type InspectResult, type SwapSpec } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';
import { debounce } from '../lib/debounce';

export const WIDTH_DIVISORS = [1, 2, 4, 8, 16] as const;

export const useArchitectureStore = defineStore('architecture', () => {
  const host = useHost();
  const widthDivisor = ref(1);
  const inputSize = ref(32);
  const swapped = ref<string[]>([]);
  const swap = reactive<SwapSpec>({ depthMultiplier: 1, init: 'svd', bnBetween: false, reluBetween: false });
  /** Per-block depth multipliers overriding swap.depthMultiplier (only swapped blocks count). */
  const blockRanks = reactive<Record<string, number>>({});
  const result = ref<InspectResult | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const model = computed(() => ({
    widthDivisor: widthDivisor.value,
    inputSize: inputSize.value,
    swapped: BLOCK_NAMES.filter((b) => swapped.value.includes(b)),
    swap: { ...swap },
    blockRanks: Object.fromEntries(Object.entries(blockRanks).filter(([b, r]) => swapped.value.includes(b) && r !== swap.depthMultiplier)),
  }));
  const blockParams = computed(
    () => new Map<string, BlockParams>((result.value?.blocks ?? []).map((b) => [b.name, b])),
  );
  /** The inspect result is for the model as it is now (not for a previous edit). */
  const fresh = computed(
    () =>
      result.value !== null &&
      JSON.stringify(result.value.model.swapped) === JSON.stringify(model.value.swapped) &&
      JSON.stringify(result.value.model.blockRanks) === JSON.stringify(model.value.blockRanks) &&
      result.value.model.widthDivisor === widthDivisor.value,
  );

  let seq = 0;
  async function inspectNow(): Promise<void> {
    const my = ++seq;
    loading.value = true;
    try {
      const r = await host.inspect(model.value);
      if (my !== seq) return;
      result.value = r;
      error.value = null;
    } catch (e) {
      if (my === seq) error.value = errorMessage(e);
    } finally {
      if (my === seq) loading.value = false;
    }
  }
  const inspectSoon = debounce(() => void inspectNow(), 150);

  /** Per-block latency in ONNX Runtime at the current width (host-cached per machine). */
  const latency = ref<BlockLatencyReport | null>(null);
  const latencyLoading = ref(false);
  const latencyError = ref<string | null>(null);
  const blockLatency = computed(() =>
    latency.value && latency.value.widthDivisor === widthDivisor.value
      ? new Map<string, BlockLatency>(latency.value.blocks.map((b) => [b.name, b]))
      : null,
  );
  async function measureLatency(refresh = false): Promise<void> {
    latencyLoading.value = true;
    latencyError.value = null;
    try {
      latency.value = await host.blockLatency({ refresh, widthDivisor: widthDivisor.value });
    } catch (e) {
      latencyError.value = errorMessage(e);
    } finally {
      latencyLoading.value = false;
    }
  }

  function isSwapped(name: string): boolean {
    return swapped.value.includes(name);
  }
  function toggle(name: string): void {
    swapped.value = isSwapped(name) ? swapped.value.filter((b) => b !== name) : [...swapped.value, name];
  }
  function setAll(): void {
    swapped.value = [...BLOCK_NAMES];
  }
  function setNone(): void {
    swapped.value = [];
  }
  function load(m: { widthDivisor: number; swapped: readonly string[]; swap: SwapSpec; blockRanks?: Record<string, number> }): void {
    widthDivisor.value = m.widthDivisor;
    swapped.value = [...m.swapped];
    Object.assign(swap, m.swap);
    for (const k of Object.keys(blockRanks)) delete blockRanks[k];
    Object.assign(blockRanks, m.blockRanks ?? {});
  }
  /** The depth multiplier `name` is swapped at. */
  function rankOfBlock(name: string): number {
    return blockRanks[name] ?? swap.depthMultiplier;
  }
  function setRank(name: string, r: number): void {
    if (Number.isInteger(r) && r >= 1) blockRanks[name] = r;
  }

  watch(model, () => inspectSoon(), { deep: true, immediate: true });
  host.onReconnect(() => void inspectNow());

  return {
    widthDivisor,
    inputSize,
    swapped,
    swap,
    blockRanks,
    rankOfBlock,
    setRank,
    result,
    loading,
    error,
    model,
    blockParams,
    fresh,
    isSwapped,
    toggle,
    setAll,
    setNone,
    load,
    inspectNow,
    latency,
    latencyLoading,
    latencyError,
    blockLatency,
    measureLatency,
  };
});
