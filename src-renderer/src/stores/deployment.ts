/**
 * Deployment from the UI: a run's model exported as a checked ONNX file on the host's disk, that
 * file's test accuracy through ONNX Runtime, and the compared runs timed alternately (stored in
 * each run by the host). Keeps the last results so the views can show where files went.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { InferenceTiming, OnnxEvalResult, OnnxExportResult } from '@contract';
import { errorMessage } from '../api/client';
import { useHost } from '../api/host';

export const useDeploymentStore = defineStore('deployment', () => {
  const host = useHost();
  const exports = ref<Record<string, OnnxExportResult>>({});
  const evaluations = ref<Record<string, { onnx: OnnxEvalResult; engine: number | null }>>({});
  const timing = ref(false);
  const timingError = ref<string | null>(null);

  async function exportOnnx(id: string, path: string): Promise<OnnxExportResult> {
    const r = await host.exportOnnx(id, path);
    exports.value = { ...exports.value, [id]: r };
    return r;
  }

  /** The file's test accuracy on the test images the run was measured on (its dataset and slice). */
  async function evalOnnx(path: string, runId: string): Promise<{ onnx: OnnxEvalResult; engine: number | null }> {
    const run = await host.getRun(runId);
    const r = await host.evalOnnx(path, { path: run.config.data.path, testPerClass: run.config.data.testPerClass });
    const result = { onnx: r, engine: run.final?.testAcc ?? null };
    evaluations.value = { ...evaluations.value, [path]: result };
    return result;
  }

  /**
   * Times the runs (ONNX Runtime, and the engine unless `engine` is false: at full width the pure-JS
   * engine needs minutes per model), alternated; null and timingError set when it fails.
   */
  async function timeRuns(ids: string[], engine = true): Promise<Record<string, InferenceTiming> | null> {
    timing.value = true;
    timingError.value = null;
    try {
      return await host.timeInference(ids, { engine });
    } catch (e) {
      timingError.value = errorMessage(e);
      return null;
    } finally {
      timing.value = false;
    }
  }

  return { exports, evaluations, timing, timingError, exportOnnx, evalOnnx, timeRuns };
});
