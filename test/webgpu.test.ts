/**
 * The WebGPU backend, where this machine has an adapter (Mesa's lavapipe gives one to Dawn without a
 * GPU; .ci/run installs it): `auto` never picks a software adapter and says why; `--backend webgpu`
 * still runs on it and says "software"; block swaps are exact; training follows the cpu backend; a
 * cancelled run resumes bit-identically; tensors and GPU buffers do not grow over epochs; inference
 * is timed. Without an adapter every test is skipped, the reason in its name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCKS, type BackendReport } from '../src-main/contract';
import { selectBackend } from '../src-main/engine/backend';
import { installCpuKernels } from '../src-main/engine/cpu-kernels';
import type { Cifar } from '../src-main/engine/data';
import { inferenceSeconds } from '../src-main/engine/metrics';
import { buildResNet50 } from '../src-main/engine/resnet';
import { swapBlocks } from '../src-main/engine/swap';
import { inspectModel } from '../src-main/engine/params';
import { maxDiff, resumeDifference, runScenario, tinyCifar, type ScenarioResult } from './helpers/backend-runs';

/** Whether Dawn offers an adapter here, and why not. */
async function probe(): Promise<string | null> {
  try {
    const dawn = (await import(/* @vite-ignore */ 'webgpu')) as {
      create: (f: string[]) => { requestAdapter(): Promise<unknown> };
    };
    return (await dawn.create([]).requestAdapter())
      ? null
      : 'no WebGPU adapter here (install a Vulkan driver, e.g. Mesa lavapipe; see .ci/run)';
  } catch (e) {
    return `the webgpu (Dawn) package cannot load here (${(e as Error).message.split('\n')[0]})`;
  }
}
const missing = await probe();
const suite = missing ? describe.skip : describe;

let auto: BackendReport;
let forced: BackendReport;
let cifar: Cifar;
let onCpu: ScenarioResult;
let onGpu: ScenarioResult;

suite(`webgpu backend${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    cifar = await tinyCifar(fs.mkdtempSync(path.join(os.tmpdir(), 'dw-webgpu-')));
    auto = await selectBackend('auto');
    await tf.setBackend('cpu');
    installCpuKernels();
    onCpu = await runScenario(cifar);
    forced = await selectBackend('webgpu');
    onGpu = await runScenario(cifar);
  }, 600_000);

  it('auto passes over a software adapter, says why, and still lists webgpu as usable', () => {
    const webgpu = auto.tried.find((t) => t.name === 'webgpu')!;
    if (forced.device?.startsWith('software')) {
      expect(auto.chosen).not.toBe('webgpu');
      expect(webgpu.reason).toMatch(/skipped by auto: .*software WebGPU adapter.*--backend webgpu/);
      expect(webgpu.available, 'usable when named').toBe(true);
    } else {
      expect(auto.chosen).toBe('webgpu'); // a hardware adapter comes before every CPU engine
    }
  });

  it('--backend webgpu runs on the adapter and the run record says software when it is', () => {
    expect(forced.chosen).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(forced.device).toMatch(/^(software WebGPU adapter \(.+\)|.+)$/);
  });

  it('swaps every block exactly at full depth multiplier (same predictions as the dense model)', async () => {
    const model = buildResNet50({ widthDivisor: 16 }, 5);
    const dense = { model, config: inspectModel({ widthDivisor: 16 }).model };
    const sep = (
      await swapBlocks(
        dense,
        BLOCKS.map((b) => b.name),
        { depthMultiplier: 9, init: 'svd', bnBetween: false, reluBetween: false },
        7,
      )
    ).net;
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const [a, b] = await Promise.all([
      (dense.model.predict(x) as tf.Tensor).data(),
      (sep.model.predict(x) as tf.Tensor).data(),
    ]);
    expect(maxDiff(a, b), 'predictions agree').toBeLessThan(1e-4);
  });

  it("follows the cpu backend's training trajectory (first loss to float tolerance, see backend-runs.ts)", () => {
    const trace = `cpu ${onCpu.firstLoss} ${onCpu.losses.join(' ')} / webgpu ${onGpu.firstLoss} ${onGpu.losses.join(' ')}`;
    expect(Math.abs(onGpu.firstLoss - onCpu.firstLoss), trace).toBeLessThan(1e-4 * onCpu.firstLoss);
    onGpu.losses.forEach((l, i) =>
      expect(Math.abs(l - onCpu.losses[i]), `epoch ${i + 1}: ${trace}`).toBeLessThan(0.1 * onCpu.losses[i]),
    );
    const scale = Math.max(...Array.from(onCpu.bnMean, Math.abs));
    expect(maxDiff(onGpu.bnMean, onCpu.bnMean), 'BN re-estimation').toBeLessThan(1e-4 * scale);
    expect(onGpu.test.acc).toBe(onCpu.test.acc);
  });

  it('keeps tensors and GPU buffers constant from epoch to epoch', () => {
    expect(new Set(onGpu.tensorsAfterEpoch).size, `tensors ${onGpu.tensorsAfterEpoch}`).toBe(1);
    expect(new Set(onGpu.buffersAfterEpoch).size, `buffers ${onGpu.buffersAfterEpoch}`).toBe(1);
  });

  it('resumes a cancelled run bit-identically', async () => {
    const r = await resumeDifference(cifar);
    expect(r.maxDiff, `final loss ${r.resumedLoss} vs ${r.straightLoss}`).toBe(0);
  });

  it('times inference', async () => {
    const model = buildResNet50({ widthDivisor: 16 }, 1);
    const s = await inferenceSeconds(model, tf.randomNormal([16, 32, 32, 3]) as tf.Tensor4D, 8);
    expect(s).toBeGreaterThan(0);
    expect(Number.isFinite(s)).toBe(true);
  });
});
