/**
 * The engine's public surface: what the worker, the host and the CLI may use. Everything else in
 * this folder is the engine's own (the lint refuses `engine/<module>` imports from outside it).
 * The engine knows nothing of Electron, Vue, SQLite or the transports.
 */
export { selectBackend } from './backend';
export { checkDataset, DataError, IMAGE_BYTES, loadCifar10, toTensors, type TensorData } from './data';
export { checkModelDir, loadNetFromDir, serialiseNet, type Files } from './modelio';
export { inspectModel, maxRank } from './params';
export { runProtocol, type CheckpointState, type EngineEvent, type RunJob } from './protocols';
export { scaled } from './resnet';
export { FileRefusedError, formatBytes, readRegularFile, readRegularFileSync } from './safe-read';
export type { Net } from './swap';
export { timeModels, type TimedModel } from './inference-timing';
export { checkExport } from './onnx/check';
export { evaluateOnnx, inputLayout, openOnnxFile, OnnxFileError } from './onnx/evaluate';
export { exportOnnx, ExportError } from './onnx/export';
export { measureBlockLatency } from './onnx/latency';
export { OPSET } from './onnx/proto';
export { ortVersion } from './onnx/runtime';
export { stratifiedSplit, subset } from './data/split';
export { BudgetError, planBudget } from './select/budget';
