/**
 * What an imported run's record claims, checked against its own files where that is possible:
 * the parameter count against the weights in model.json's manifest, and the swapped blocks against
 * the weights' layer names. Accuracy cannot be checked without re-running the model; the run is
 * marked imported (RunOrigin) so the UI and CLI say so.
 */
import { strFromU8 } from 'fflate';
import { BLOCKS, type RunRecord } from '../contract';

interface WeightSpec {
  name?: unknown;
  shape?: unknown;
}

/** Weight names and shapes from a TF.js model.json, or null when it has none we can read. */
function weightSpecs(modelJson: Uint8Array): { name: string; shape: number[] }[] | null {
  let parsed: { weightsManifest?: { weights?: WeightSpec[] }[] };
  try {
    parsed = JSON.parse(strFromU8(modelJson)) as typeof parsed;
  } catch {
    return null;
  }
  if (!Array.isArray(parsed.weightsManifest)) return null;
  const out: { name: string; shape: number[] }[] = [];
  for (const group of parsed.weightsManifest) {
    for (const w of group.weights ?? []) {
      if (typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0))
        return null;
      out.push({ name: w.name, shape: w.shape as number[] });
    }
  }
  return out;
}

/** One line per check: what matched, or what the record claims against what the files hold. */
export function checkClaims(record: RunRecord, modelJson: Uint8Array | undefined): { passed: boolean; notes: string[] } {
  const notes: string[] = [];
  let passed = true;
  const specs = modelJson ? weightSpecs(modelJson) : null;
  if (!specs) {
    notes.push('no readable model weights: parameter count and swapped blocks not checked');
    return { passed: record.final === null, notes };
  }
  const params = specs.reduce((t, w) => t + w.shape.reduce((p, d) => p * d, 1), 0);
  if (record.final) {
    if (record.final.params === params) notes.push(`parameter count ${params} matches the weights`);
    else {
      passed = false;
      notes.push(`the record claims ${record.final.params} parameters but the weights hold ${params}`);
    }
  }
  const inWeights = BLOCKS.filter((b) => specs.some((w) => w.name.startsWith(`${b.name}_2_dwconv`))).map((b) => b.name);
  const claimed = [...record.swapped].sort();
  if (claimed.join() === [...inWeights].sort().join()) notes.push(`swapped blocks (${inWeights.length}) match the weights`);
  else {
    passed = false;
    notes.push(`the record claims ${claimed.length} swapped blocks but the weights have ${inWeights.length}`);
  }
  notes.push('accuracy and timings are as recorded by the exporting workbench (not re-measured)');
  return { passed, notes };
}
