/** Optimisers and losses, as Keras defines them. */
import * as tf from '@tensorflow/tfjs';
import type { OptimiserConfig } from '../contract';
import { ADAM_KERNEL } from './wasm/adam';

type Slot = { originalName: string; variable: tf.Variable };

/** Slot `i` of an optimiser's state list (created as zeros shaped like `value`, named as TF.js names it). */
function slotVariable(list: Slot[], i: number, name: string, suffix: string, value: tf.Variable): tf.Variable {
  return (list[i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) }).variable;
}
interface RmsSlots {
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
  accumulatedMeanGrads: Slot[];
  decay: number;
  momentum: number;
  epsilon: number;
  learningRate: number;
}

/**
 * RMSprop as TensorFlow/Keras computes it. TF.js 4.22's centered variant divides by
 * sqrt(ms - mg^2 - eps), subtracting epsilon, which is NaN wherever a gradient is zero (ms = mg = 0);
 * TF's ApplyCenteredRMSProp divides by sqrt(ms - mg^2 + eps). The state layout is TF.js's, so
 * getWeights/setWeights (checkpoints) work unchanged.
 */
export class KerasRMSProp extends tf.RMSPropOptimizer {
  override applyGradients(grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const self = this as unknown as RmsSlots & { centered: boolean };
    if (!self.centered) return super.applyGradients(grads);
    const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const ms = slotVariable(self.accumulatedMeanSquares, i, name, 'rms', value);
      const mom = slotVariable(self.accumulatedMoments, i, name, 'momentum', value);
      const mg = slotVariable(self.accumulatedMeanGrads, i, name, 'mg', value);
      const g = Array.isArray(grads) ? grads[i].tensor : grads[name];
      if (g == null) return;
      tf.tidy(() => {
        const rho = self.decay;
        const newMs = tf.add(tf.mul(ms, rho), tf.mul(tf.square(g), 1 - rho));
        const newMg = tf.add(tf.mul(mg, rho), tf.mul(g, 1 - rho));
        const denom = tf.sqrt(tf.add(tf.sub(newMs, tf.square(newMg)), self.epsilon));
        const newMom = tf.add(tf.mul(mom, self.momentum), tf.div(tf.mul(g, self.learningRate), denom));
        ms.assign(newMs);
        mg.assign(newMg);
        mom.assign(newMom);
        value.assign(tf.sub(value, newMom));
      });
    });
    this.incrementIterations();
  }
}

type AdamState = {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
};

/**
 * TF.js's Adam with its per-variable update as one fused kernel where the active backend has it
 * (wasm: see wasm/adam.ts), the stock update elsewhere. Same state layout, class name and
 * arithmetic (bit for bit), so checkpoints and resume are unchanged.
 */
export class FusedAdam extends tf.AdamOptimizer {
  static override get className(): string {
    return 'Adam';
  }
  override applyGradients(grads: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_KERNEL, tf.getBackend())) return super.applyGradients(grads);
    const self = this as unknown as AdamState;
    const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
    const attrs = { beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, learningRate: self.learningRate, c1: Math.fround(1 - self.accBeta1.dataSync()[0]), c2: Math.fround(1 - self.accBeta2.dataSync()[0]) };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const m = slotVariable(self.accumulatedFirstMoment, i, name, 'm', value);
      const v = slotVariable(self.accumulatedSecondMoment, i, name, 'v', value);
      const g = Array.isArray(grads) ? grads[i].tensor : grads[name];
      if (g == null) return;
      const [nx, nm, nv] = tf.engine().runKernel(ADAM_KERNEL, { x: value, m, v, g }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      m.assign(nm);
      v.assign(nv);
      value.assign(nx);
      tf.dispose([nx, nm, nv]);
    });
    tf.tidy(() => {
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }
}

/** The optimiser `c` names; `c` is resolved (a preset's values, see the contract's resolveOptimiser). */
export function createOptimiser(c: OptimiserConfig): tf.Optimizer {
  switch (c.name) {
    case 'rmsprop':
      return new KerasRMSProp(c.learningRate, 0.9, c.momentum, 1e-7, c.centered);
    case 'adam':
      return new FusedAdam(c.learningRate, 0.9, 0.999, 1e-7);
    case 'sgd':
      return c.momentum > 0 ? tf.train.momentum(c.learningRate, c.momentum) : tf.train.sgd(c.learningRate);
  }
}

/** Sets the learning rate of a TF.js optimiser in place (all its built-in optimisers keep it as a field). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * The learning rate of step `step` (0-based) of a run of `totalSteps`: linear warm-up over the first
 * `c.warmupEpochs * stepsPerEpoch` steps, then constant, or (schedule `cosine`) lr * (1 + cos(pi t / T)) / 2
 * with t the steps since warm-up and T the steps after it (Loshchilov & Hutter's SGDR without restarts).
 */
export function learningRateAt(c: OptimiserConfig, step: number, stepsPerEpoch: number, totalSteps = Infinity): number {
  const warm = c.warmupEpochs * stepsPerEpoch;
  if (warm > 0 && step < warm) return (c.learningRate * (step + 1)) / warm;
  if (c.schedule !== 'cosine' || !Number.isFinite(totalSteps) || totalSteps <= warm) return c.learningRate;
  return (c.learningRate * (1 + Math.cos((Math.PI * (step - warm)) / (totalSteps - warm)))) / 2;
}

const EPS = 1e-7;

/** Keras categorical cross-entropy on probabilities: mean over the batch of -sum(y * log(clip(p))). */
export function categoricalCrossEntropy(labels: tf.Tensor2D, probs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(probs, EPS, 1 - EPS))), -1))) as tf.Scalar);
}

/**
 * Knowledge distillation (Hinton et al. 2015) on probability outputs: logits are recovered up to a
 * constant as log(p), softened by the temperature T; the loss is
 * alpha * T^2 * KL(softmax(log pt / T) || softmax(log ps / T)) + (1 - alpha) * CE(labels, ps).
 */
export function distillationLoss(
  labels: tf.Tensor2D,
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  temperature: number,
  alpha: number,
): tf.Scalar {
  return tf.tidy(() => {
    const t = temperature;
    const logS = tf.logSoftmax(tf.div(tf.log(tf.clipByValue(student, EPS, 1)), t));
    const logT = tf.logSoftmax(tf.div(tf.log(tf.clipByValue(teacher, EPS, 1)), t));
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logT), tf.sub(logT, logS)), -1));
    const ce = categoricalCrossEntropy(labels, student);
    return tf.add(tf.mul(kl, alpha * t * t), tf.mul(ce, 1 - alpha)) as tf.Scalar;
  });
}

/** Number of rows whose arg-max matches the label's (a tensor, so it can be summed without a read-back). */
export function correctCount(labels: tf.Tensor2D, probs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(labels, -1), tf.argMax(probs, -1)), 'float32')));
}
