/**
 * Starts TF.js's WebAssembly backend (XNNPACK, SIMD) with this project's training kernels.
 *
 * The .wasm binaries are read from beside the running bundle when electron.vite.config.ts copied
 * them there (the Electron main process and its training worker), else from the package in
 * node_modules (tsx, vitest, the CLI). Threads: TF.js 4.22 disables the threaded build in Node
 * (its WASM_HAS_MULTITHREAD_SUPPORT flag is false whenever IS_NODE; the threaded build starts its
 * pthreads as Web Workers from Blob URLs, which Node's worker_threads cannot run), so this backend
 * runs one thread per process here.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from './kernels';

const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

/** The folder holding the backend's .wasm files, with a trailing separator. */
export function wasmBinaryDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (fs.existsSync(path.join(here, SIMD_BINARY))) return here + path.sep;
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

let pathsSet = false;

/** Makes `wasm` the active backend; returns the device description, or throws why it cannot run. */
export async function startWasm(): Promise<string> {
  installWasmKernels();
  if (!pathsSet) {
    setWasmPaths(wasmBinaryDir());
    pathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend did not initialise');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `CPU (WebAssembly, XNNPACK${simd ? ', SIMD' : ''}, ${threads ? 'threads' : '1 thread'})`;
}
