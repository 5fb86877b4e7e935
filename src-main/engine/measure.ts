/** The study's final columns for a finished model: train/test accuracy, size, inference time. */
import * as tf from '@tensorflow/tfjs';
import type { FinalMetrics } from '../contract';
import { evaluate, inferenceSeconds, weightsMiB } from './metrics';
import type { CheckpointState, RunContext } from './run-context';
import { MAC_COST } from './select/cost';
import type { Net } from './swap';

export async function measureFinal(ctx: RunContext, net: Net, state: CheckpointState): Promise<FinalMetrics> {
  const batch = Math.max(ctx.config.batchSize, 128);
  const train = await evaluate(net.model, ctx.data.train, batch);
  const test = await evaluate(net.model, ctx.data.test, batch);
  const val = ctx.data.val ? await evaluate(net.model, ctx.data.val, batch) : null;
  const params = net.model.countParams();
  const seconds = await inferenceSeconds(net.model, ctx.data.test.x, ctx.config.inferenceBatch);
  return {
    trainAcc: train.acc,
    testAcc: test.acc,
    params,
    weightsMiB: weightsMiB(params),
    blocksSwapped: net.config.swapped.length,
    inferenceSeconds: seconds,
    inferenceBatch: ctx.config.inferenceBatch,
    inferenceImages: ctx.data.test.x.shape[0],
    backend: tf.getBackend(),
    trainSeconds: state.trainSeconds,
    epochsTrained: state.epochsSpent,
    valAcc: val?.acc ?? null,
    valImages: ctx.data.val?.x.shape[0] ?? 0,
    macs: MAC_COST.total(net.config),
  };
}

