/**
 * Conv2D and BatchNormalization as tfjs-layers defines them, with the same class names, weights and
 * configs (saved models load into these classes, and models built here save as plain Keras layers),
 * computed faster where the stock call wastes work in training:
 *
 * - Conv2D, training: the convolution and its bias as two ops instead of TF.js's fused conv op. The
 *   fused op's gradient computes the gradient of its input eagerly, so the stem convolution, whose
 *   input is the image, paid for a gradient nothing uses; the plain ops' gradients are lazy and the
 *   tape skips it.
 * - Conv2D on a 1 x 1 feature map with 'same' padding and an odd kernel (ResNet-50's last stage at
 *   32 x 32 input): every tap but the centre one falls on padding, so the output is the 1 x 1 conv
 *   with the centre tap, x[b, :] . W[centre] + bias (a matrix product; its gradient reaches only the
 *   centre tap, as the full convolution's does). Training and inference, every backend.
 * - BatchNormalization, training, on the wasm backend: see batchnorm-train.ts (one kernel for the
 *   batch moments and the normalisation, one for the whole gradient, instead of TF.js's moments,
 *   batchNorm and their ~25 element-wise gradient kernels).
 *
 * Everything else (inference on a larger map, other activations, channels-first) is the stock call.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, batchNormTrainingApplies } from './wasm/batchnorm-train';

type Kwargs = Record<string, unknown>;
type LayerClass = new (args: object) => tf.layers.Layer;

// tfjs-layers exports the factories, not the classes; an instance's constructor is the class.
const StockConv2D = (tf.layers.conv2d({ filters: 1, kernelSize: 1 }) as object).constructor as LayerClass;
const StockBatchNorm = (tf.layers.batchNormalization({}) as object).constructor as LayerClass;

interface ConvFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: 'valid' | 'same' | 'causal';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: number[];
  activation: { getClassName(): string };
}

const one = (t: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(t) ? t[0] : t);

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const f = this as unknown as ConvFields;
    const x = one(inputs);
    const plain =
      f.activation.getClassName() === 'linear' &&
      f.dataFormat === 'channelsLast' &&
      f.dilationRate.every((d) => d === 1) &&
      f.padding !== 'causal' &&
      x.rank === 4;
    if (!plain) return super.call(inputs, kwargs);
    const [kh, kw, ci, co] = f.kernel.shape as number[];
    const centreOnly = f.padding === 'same' && x.shape[1] === 1 && x.shape[2] === 1 && kh % 2 === 1 && kw % 2 === 1;
    if (!centreOnly && !kwargs.training) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const kernel = f.kernel.read();
      let y: tf.Tensor;
      if (centreOnly) {
        const centre = tf.reshape(tf.slice(kernel, [(kh - 1) / 2, (kw - 1) / 2, 0, 0], [1, 1, ci, co]), [ci, co]);
        y = tf.reshape(tf.matMul(tf.reshape(x, [x.shape[0], ci]), centre), [x.shape[0], 1, 1, co]);
      } else {
        y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, f.strides as [number, number], f.padding as 'same' | 'valid');
      }
      return f.bias ? tf.add(y, f.bias.read()) : y;
    });
  }
}

export class BatchNormalization extends StockBatchNorm {
  static className = 'BatchNormalization';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = one(inputs);
    if (!kwargs.training || !batchNormTrainingApplies(this, x)) return super.call(inputs, kwargs);
    return batchNormTraining(this, x);
  }
}

// Loading a saved model resolves class names through this map: these classes take the stock names.
tf.serialization.SerializationMap.register(Conv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
tf.serialization.SerializationMap.register(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Factories in tf.layers' style. */
export const conv2d = (args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer => new Conv2D(args);
export const batchNormalization = (args: Parameters<typeof tf.layers.batchNormalization>[0]): tf.layers.Layer =>
  new BatchNormalization(args ?? {});
