/**
 * Swapping a trained block's 3x3 Conv2D for DepthwiseConv2D(3x3) + Conv2D(1x1).
 *
 * A 3x3 kernel W (3,3,M,N) computes, for each output n, sum_m sum_k W[k,m,n] * x_m(shifted by k).
 * The separable pair computes sum_m sum_q P[m*r+q, n] * sum_k D[k,m,q] * x_m(shifted by k), i.e. it
 * approximates each input channel's 9 x N slice A_m = W[:,:,m,:] by D_m (9 x r) times P_m (r x N).
 * The best rank-r approximation in Frobenius norm is the truncated SVD (Eckart-Young):
 * A_m ~= U_r S_r V_r^T, split evenly: D_m = U_r sqrt(S_r), P_m = sqrt(S_r) V_r^T. At r >= rank(A_m)
 * (r = min(9, N)) the product is exact, so the swapped block computes what the dense one did.
 */
import * as tf from '@tensorflow/tfjs';
import { SVD, Matrix } from 'ml-matrix';
import { ModelConfigSchema, normaliseBlockName, rankOf, type ModelConfig, type SwapSpec } from '../contract';
import { buildResNet50, convLayerNames } from './resnet';

export interface Factorised {
  /** DepthwiseConv2D kernel, shape [3, 3, M, r]. */
  depthwise: tf.Tensor4D;
  /** Conv2D 1x1 kernel, shape [1, 1, M*r, N]. */
  pointwise: tf.Tensor4D;
  /** ||W - W_r||_F / ||W||_F, the relative error of the factorised kernel. */
  relativeError: number;
}

/** Factorises one 3x3 kernel (3,3,M,N) into depthwise (3,3,M,r) and pointwise (1,1,M*r,N) kernels. */
export function factoriseKernel(kernel: tf.Tensor4D, r: number): Factorised {
  const [kh, kw, m, n] = kernel.shape;
  const k = kh * kw;
  const w = kernel.dataSync();
  const dw = new Float32Array(k * m * r);
  const pw = new Float32Array(m * r * n);
  let errSq = 0;
  let normSq = 0;
  for (let c = 0; c < m; c++) {
    const slice = new Matrix(k, n);
    for (let t = 0; t < k; t++) for (let j = 0; j < n; j++) slice.set(t, j, w[(t * m + c) * n + j]);
    const svd = new SVD(slice, { autoTranspose: true });
    const U = svd.leftSingularVectors;
    const V = svd.rightSingularVectors;
    const s = svd.diagonal;
    const rank = Math.min(r, s.length);
    for (let q = 0; q < rank; q++) {
      const root = Math.sqrt(s[q]);
      for (let t = 0; t < k; t++) dw[(t * m + c) * r + q] = U.get(t, q) * root;
      for (let j = 0; j < n; j++) pw[(c * r + q) * n + j] = V.get(j, q) * root;
    }
    for (let q = 0; q < s.length; q++) {
      normSq += s[q] * s[q];
      if (q >= rank) errSq += s[q] * s[q];
    }
  }
  return {
    depthwise: tf.tensor4d(dw, [kh, kw, m, r]),
    pointwise: tf.tensor4d(pw, [1, 1, m * r, n]),
    relativeError: normSq === 0 ? 0 : Math.sqrt(errSq / normSq),
  };
}

/** A model with the configuration it was built from. */
export interface Net {
  model: tf.LayersModel;
  config: ModelConfig;
}

/** Copies every weight of `from` into the same-named, same-shaped layer of `to`. Returns the names not copied. */
export function copyWeightsByName(from: tf.LayersModel, to: tf.LayersModel): string[] {
  const source = new Map(from.layers.map((l) => [l.name, l]));
  const skipped: string[] = [];
  for (const layer of to.layers) {
    const src = source.get(layer.name);
    const weights = src?.getWeights() ?? [];
    const target = layer.getWeights();
    if (target.length === 0) continue;
    const fits = weights.length === target.length && weights.every((w, i) => tf.util.arraysEqual(w.shape, target[i].shape));
    if (fits) layer.setWeights(weights);
    else skipped.push(layer.name);
  }
  return skipped;
}

export interface SwapReport {
  block: string;
  init: SwapSpec['init'];
  /** Relative Frobenius error of the factorised kernel (SVD init only). */
  kernelError: number | null;
}

/**
 * Returns a new net in which `blocks` are additionally swapped. Every other weight is copied; the
 * new depthwise and 1x1 kernels come from the SVD of the trained 3x3 kernel (spec.init = 'svd') or
 * stay as freshly initialised from `seed` (spec.init = 'random', the study's choice). The 1x1 conv
 * takes over the dense conv's bias; a BatchNormalization in between starts as the identity.
 * `ranks` gives a block its own depth multiplier (default spec.depthMultiplier); blocks already
 * swapped keep theirs.
 */
export async function swapBlocks(net: Net, blocks: string[], spec: SwapSpec, seed: number, ranks: Record<string, number> = {}): Promise<{ net: Net; reports: SwapReport[] }> {
  const wanted = blocks.map((b) => {
    const name = normaliseBlockName(b);
    if (!name) throw new Error(`unknown block '${b}': use conv2_1 ... conv5_3`);
    return name;
  });
  const fresh = wanted.filter((b) => !net.config.swapped.includes(b));
  const swapped = [...net.config.swapped, ...fresh];
  const wantRank = (b: string) => (net.config.swapped.includes(b) ? rankOf(net.config, b) : (ranks[b] ?? ranks[normaliseBlockName(b) ?? ''] ?? spec.depthMultiplier));
  const blockRanks = Object.fromEntries(swapped.map((b) => [b, wantRank(b)]).filter(([, r]) => r !== spec.depthMultiplier));
  const config = ModelConfigSchema.parse({ ...net.config, swapped, swap: spec, blockRanks });
  const model = buildResNet50(config, seed);
  copyWeightsByName(net.model, model);
  const reports: SwapReport[] = [];
  for (const block of fresh) reports.push(await initialiseSwap(net.model, model, block, spec, rankOf(config, block)));
  return { net: { model, config }, reports };
}

/** Sets `block`'s depthwise and 1x1 kernels in `sep` from the dense kernel in `dense` (SVD at rank r). */
export async function initialiseSwap(dense: tf.LayersModel, sep: tf.LayersModel, block: string, spec: SwapSpec, r: number): Promise<SwapReport> {
  if (spec.init === 'random') return { block, init: 'random', kernelError: null };
  const n = convLayerNames(block);
  const [kernel, bias] = dense.getLayer(n.dense).getWeights() as [tf.Tensor4D, tf.Tensor1D];
  // Read asynchronously: a GPU-resident tensor has no dataSync on WebGPU in Node (no OffscreenCanvas).
  const onHost = tf.tensor4d(await kernel.data(), kernel.shape);
  const f = factoriseKernel(onHost, r);
  onHost.dispose();
  sep.getLayer(n.dw).setWeights([f.depthwise]);
  sep.getLayer(n.pw).setWeights([f.pointwise, bias]);
  if (spec.bnBetween) setIdentityBatchNorm(sep.getLayer(n.bn));
  tf.dispose([f.depthwise, f.pointwise]);
  return { block, init: 'svd', kernelError: f.relativeError };
}

/** gamma = 1, beta = 0, moving mean = 0, moving variance = 1 - epsilon: y = x exactly at inference. */
function setIdentityBatchNorm(layer: tf.layers.Layer): void {
  const eps = (layer.getConfig() as { epsilon: number }).epsilon;
  const weights = layer.getWeights();
  const c = weights[0].shape[0];
  layer.setWeights([tf.ones([c]), tf.zeros([c]), tf.zeros([c]), tf.fill([c], 1 - eps)]);
}
