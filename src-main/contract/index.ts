/**
 * The one typed contract between the UI (renderer, CLI) and the host, in small modules:
 *
 * - blocks.ts     the ResNet-50 block table (plain data)
 * - protocols.ts  the protocols and their rules: baseline needed, blocks swapped (plain data)
 * - config.ts     the zod schemas of a run's configuration (a union on `protocol`), defaults, presets
 * - upgrade.ts    configurations stored by 0.1.0 brought to today's shape
 * - wire.ts       zod-free results, events, HostApi and envelopes
 * - methods.ts    the method list and IPC channel names the preload imports
 * - deploy.ts     ONNX export/evaluation, inference timing (its protocol schema) and block latency
 *
 * Nothing here imports Node, Electron, Vue or TF.js, so every side can use it. The renderer reaches
 * it as `@contract` (a path alias); src-main imports it relatively.
 */
export * from './blocks';
export * from './protocols';
export * from './config';
export * from './upgrade';
export * from './wire';
export * from './methods';
export * from './deploy';
export * from './timing-table';
