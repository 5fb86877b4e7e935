/**
 * electron-vite: out/main (the main process and the training worker), out/preload (one sandboxed
 * CommonJS file), out/renderer (the Vue app, the same files the headless host serves).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Native or optional packages: never bundled, loaded from node_modules at run time. */
const NATIVE_AND_OPTIONAL = [
  'better-sqlite3',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'webgpu',
  'onnxruntime-node',
  'electron',
];

/**
 * The WebAssembly backend's binaries, copied beside the bundled main process and training worker:
 * src-main/engine/wasm/load.ts reads them from the folder of the code that runs.
 */
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];
function copyWasmBinaries() {
  return {
    name: 'dwswap-copy-tfjs-wasm',
    writeBundle(options: { dir?: string }) {
      const dir = options.dir ?? resolve(root, 'out/main');
      mkdirSync(dir, { recursive: true });
      for (const f of WASM_BINARIES) copyFileSync(resolve(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f), join(dir, f));
    },
  };
}

export default defineConfig({
  main: {
    plugins: [copyWasmBinaries()],
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: { include: NATIVE_AND_OPTIONAL },
      rolldownOptions: {
        input: {
          index: resolve(root, 'src-main/main/index.ts'),
          // Started by src-main/host/worker-url.ts as `./train-worker.js` beside the chunk it is in.
          'train-worker': resolve(root, 'src-main/worker/train-worker.ts'),
        },
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          // Flat, so `new URL('./train-worker.js', import.meta.url)` holds from every chunk.
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload cannot load ES modules or anything but 'electron': one CJS file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [vue()],
    resolve: { alias: { '@contract': resolve(root, 'src-main/contract') } },
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'src-renderer/index.html') },
    },
  },
});
