#!/usr/bin/env bash
# Builds everything: the native core, tests and tools (build/native), the WebAssembly modules
# (dist/wasm), the JS bundles and types (dist/), and the benchmark page's ONNX model builder (dist/bench/).
# Incremental: a second run only redoes what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
echo "build: native core and tests (build/native)"
[ -f build/native/CMakeCache.txt ] || cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$jobs"
echo "build: WebAssembly modules (dist/wasm)"
bash scripts/build-wasm.sh
echo "build: JS bundles (dist)"
node scripts/build-js.mjs
node scripts/build-bench-page.mjs
echo "build: the demo page's example ONNX models (web/models)"
node web/make-models.mjs
