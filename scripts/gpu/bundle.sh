#!/usr/bin/env bash
# Bundles scripts/bench-gpu.ts for the GPU machine, which has no Node.js and no node_modules:
#   .gpu/bench.mjs                                      the benchmark (engine, TF.js, loaders)
#   .gpu/chunks/*.mjs                                   code shared with the next entry (TF.js core)
#   .gpu/node_modules/@tensorflow/tfjs-backend-webgpu/  the WebGPU backend, for backend.ts's run-time import
#   .gpu/node_modules/webgpu/{index.js,package.json}    Dawn's loader; the device command unpacks
#                                                       .gpu/dawn.node.xz to .gpu/node_modules/webgpu/dist/linux-x64/
# Run from the project's root after ../shared/gpu/prepare.sh (which lays out node, the Vulkan
# loader debs and dawn.node.xz in .gpu/). Prints what the carry of .gpu adds up to (limit 64 MiB).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
[ -d .gpu ] || { echo "bundle.sh: .gpu/ is missing; run ../shared/gpu/prepare.sh first" >&2; exit 1; }
rm -rf .gpu/bench.mjs .gpu/chunks .gpu/node_modules
npx esbuild \
  bench=scripts/bench-gpu.ts \
  node_modules/@tensorflow/tfjs-backend-webgpu/index=scripts/gpu/webgpu-backend.ts \
  --bundle --splitting --format=esm --platform=node --target=node20 --minify \
  --outdir=.gpu --out-extension:.js=.mjs --chunk-names='chunks/[name]-[hash]' \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --log-level=warning
echo '{ "name": "@tensorflow/tfjs-backend-webgpu", "type": "module", "exports": "./index.mjs" }' \
  > .gpu/node_modules/@tensorflow/tfjs-backend-webgpu/package.json
mkdir -p .gpu/node_modules/webgpu
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/node_modules/webgpu/
data=${BENCH_DATA:-../shared/data/cifar10-jpeg-small.zip}  # 26 MB; the full 62 MB zip does not fit
[ -f .gpu/cifar10-jpeg-small.zip ] || cp "$data" .gpu/cifar10-jpeg-small.zip
du -sh --apparent-size .gpu/bench.mjs .gpu/chunks .gpu/node_modules .gpu/node.xz .gpu/dawn.node.xz .gpu/debs .gpu/cifar10-jpeg-small.zip 2>/dev/null || true
total=$(du -sb --apparent-size .gpu | cut -f1)
echo "bundle.sh: .gpu carries $((total / 1048576)) MiB of the 64 MiB limit"
[ "$total" -lt $((64 * 1048576)) ] || { echo "bundle.sh: .gpu is over 64 MiB" >&2; exit 1; }
