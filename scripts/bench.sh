#!/usr/bin/env bash
# `npm run bench`: sets up what is missing, builds everything (the native benchmark tool included), then runs
# the benchmark (bench/run.mjs): ours vs onnxruntime-web (WASM, 1 and 2 threads) and onnxruntime-node
# (native), the WASM SIMD peak, memory and cost curves, and the benchmark page in headless Chromium. Writes bench/results.json, bench/RESULTS.md,
# bench/chart.svg and the README's performance section; then the backward rows (bench/BACKWARD.md) and the
# WebGPU rows (bench/WEBGPU.md). Takes a few minutes; run it on an idle machine.
# Arguments go to bench/run.mjs (--seconds S: time budget per implementation and shape; --no-readme).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node bench/run.mjs "$@"
# Gradients: forward + backward beside forward on three of the layers (bench/shapes.mjs `backward`; bench/BACKWARD.md).
node bench/backward.mjs
# WebGPU rows: Dawn through the npm package `webgpu`; without a GPU that is SwiftShader, a CPU emulation, so
# these are smoke figures only (bench/WEBGPU.md says which adapter ran).
node bench/webgpu.mjs --seconds 0.5 --only s1_64c_64px,s2_128c_32px,s3_256c_28px_g4 > bench/WEBGPU.md
