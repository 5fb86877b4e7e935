/**
 * CIFAR-10 data for the engine: loading (image-folder zip, image folder, cifar-10-batches-bin),
 * a decoded-array cache, cheap validation for forms, and TF.js
 * tensor helpers (normalisation, on-backend augmentation). Problems surface as DataError.
 */
export {
  CIFAR10_CLASSES,
  DataError,
  IMAGE_BYTES,
  IMAGE_SIDE,
  type Cifar,
  type Layout,
  type LoadOptions,
  type Split,
} from './data/types';
export { loadCifar10 } from './data/load';
export { checkDataset } from './data/check';
export {
  CIFAR10_MEAN,
  CIFAR10_STD,
  augmentBatch,
  augmentDraws,
  cropBatch,
  flipBatch,
  normalise,
  normalisedPixels,
  toTensors,
  type TensorData,
} from './data/tensors';
