/** Optimisers and losses, as Keras defines them. */
import * as tf from '@tensorflow/tfjs';
import type { OptimiserConfig } from '../api';

/** The study's preset: RMSprop(centered=True, learning_rate=1e-5) with Keras' rho 0.9, epsilon 1e-7. */
export const STUDY_OPTIMISER: OptimiserConfig = {
  preset: 'study',
  name: 'rmsprop',
  learningRate: 1e-5,
  centered: true,
  momentum: 0,
  warmupEpochs: 0,
};

/** For training from scratch: Adam 1e-3 with one epoch of linear warm-up. */
export const FAST_OPTIMISER: OptimiserConfig = {
  preset: 'fast',
  name: 'adam',
  learningRate: 1e-3,
  centered: false,
  momentum: 0,
  warmupEpochs: 1,
};

export function resolveOptimiser(cfg: OptimiserConfig): OptimiserConfig {
  if (cfg.preset === 'study') return STUDY_OPTIMISER;
  if (cfg.preset === 'fast') return FAST_OPTIMISER;
  return cfg;
}

export function createOptimiser(cfg: OptimiserConfig): tf.Optimizer {
  const c = resolveOptimiser(cfg);
  switch (c.name) {
    case 'rmsprop':
      return tf.train.rmsprop(c.learningRate, 0.9, c.momentum, 1e-7, c.centered);
    case 'adam':
      return tf.train.adam(c.learningRate, 0.9, 0.999, 1e-7);
    case 'sgd':
      return c.momentum > 0 ? tf.train.momentum(c.learningRate, c.momentum) : tf.train.sgd(c.learningRate);
  }
}

/** Sets the learning rate of a TF.js optimiser in place (all its built-in optimisers keep it as a field). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

/** Linear warm-up over `warmupSteps`, then constant. */
export function learningRateAt(cfg: OptimiserConfig, step: number, stepsPerEpoch: number): number {
  const c = resolveOptimiser(cfg);
  const warm = c.warmupEpochs * stepsPerEpoch;
  return warm > 0 && step < warm ? (c.learningRate * (step + 1)) / warm : c.learningRate;
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
