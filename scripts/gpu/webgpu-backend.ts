/**
 * Bundle entry that stands in for the @tensorflow/tfjs-backend-webgpu package on the GPU machine
 * (which has no node_modules). bundle.sh builds it into .gpu/node_modules/@tensorflow/
 * tfjs-backend-webgpu/, sharing one TF.js core with bench.mjs, so the engine's run-time
 * `import('@tensorflow/tfjs-backend-webgpu')` in backend.ts resolves there unchanged.
 */
export * from '@tensorflow/tfjs-backend-webgpu';
