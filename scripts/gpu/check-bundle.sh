#!/usr/bin/env bash
# Checks the bundle in .gpu/ on this (GPU-less) machine the way the device will run it: from a copy
# outside the checkout (so nothing resolves from the project's node_modules), with node and
# dawn.node unpacked exactly as scripts/gpu/command.txt does. Three checks:
#   1. where Dawn finds an adapter (Mesa lavapipe is one, in software), a tiny WebGPU run finishes
#      its bench-gpu.json; where it finds none, --backend webgpu fails with one clear line;
#   2. with a fake navigator.gpu whose adapter has no device, the WebGPU backend module that
#      bundle.sh placed in .gpu/node_modules registers into the bundle's own TF.js and is started
#      (it then fails on the fake device: "did not initialise", not "failed to load");
#   3. a CPU smoke at 1/16 width on the carried zip writes a finished bench-gpu.json.
# Usage: scripts/gpu/check-bundle.sh            (after scripts/gpu/bundle.sh; ~1-2 minutes)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
[ -f .gpu/bench.mjs ] || { echo "check-bundle.sh: run scripts/gpu/bundle.sh first" >&2; exit 1; }
dir=$(mktemp -d /tmp/dwswap-gpu-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp -r .gpu "$dir/" && cd "$dir"
xz -d -c .gpu/node.xz > node && chmod +x node
d=.gpu/node_modules/webgpu/dist/linux-x64; mkdir -p $d && xz -d -c .gpu/dawn.node.xz > $d/dawn.node
B="./node .gpu/bench.mjs --width 16 --batch 8 --steps 1 --warmup 1"

if ./node -e 'const { create, globals } = require("./.gpu/node_modules/webgpu"); Object.assign(globalThis, globals);
  create([]).requestAdapter().then((a) => process.exit(a ? 0 : 1), () => process.exit(1));' 2>/dev/null; then
  # An adapter here (e.g. Mesa lavapipe, software): the whole benchmark runs end to end on WebGPU.
  $B --backend webgpu --infer-images 16 --infer-batch 8 --out out/webgpu 2>&1 | grep '^bench-gpu:\|\] result:' | sed 's/^/1. /' || true
  ./node -e 'const r = JSON.parse(require("fs").readFileSync("out/webgpu/bench-gpu.json", "utf8"));
    if (!r.finished || r.fatal || r.errors.length || r.training.length !== 2) { console.error("check 1 failed", r.fatal, r.errors); process.exit(1); }
    console.log("1. webgpu on", JSON.stringify(r.backend && (r.backend.device ?? r.backend)));'
else
  line=$($B --backend webgpu --out out/webgpu 2>&1 | grep '^bench-gpu:' || true)
  echo "1. $line"
  [[ "$line" == *"backend 'webgpu' cannot run here"* ]] || { echo "check 1 failed" >&2; exit 1; }
fi

fake='globalThis.window = globalThis; const adapter = { info: { vendor: "fake" }, features: new Set(), limits: {},
  requestDevice: async () => { throw new Error("fake adapter has no device"); } };
Object.defineProperty(globalThis, "navigator", { value: { gpu: { requestAdapter: async () => adapter } }, configurable: true });'
echo "$fake" > fake.mjs
line=$(./node --import ./fake.mjs .gpu/bench.mjs --backend webgpu --out out/fake 2>&1 | grep '^bench-gpu:' || true)
echo "2. $line"
[[ "$line" == *"did not initialise"* ]] || { echo "check 2 failed: the bundled WebGPU backend did not register" >&2; exit 1; }

$B --backend cpu --data .gpu/cifar10-jpeg-small.zip --infer-images 64 --infer-batch 32 --out out/cpu 2>&1 | grep '^bench-gpu:\|\] result:' | sed 's/^/3. /'
./node -e 'const r = JSON.parse(require("fs").readFileSync("out/cpu/bench-gpu.json", "utf8"));
  if (!r.finished || r.fatal || r.errors.length || r.training.length !== 2) { console.error("check 3 failed", r.fatal, r.errors); process.exit(1); }'
echo "check-bundle.sh: the bundle runs from a bare copy (CPU numbers above are not GPU numbers)"
