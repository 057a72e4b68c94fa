#!/usr/bin/env bash
# `npm run bench`: sets up what is missing, builds everything (the native benchmark tool included), then runs
# the benchmark (bench/run.mjs): ours vs onnxruntime-web (WASM, 1 and 2 threads) and onnxruntime-node
# (native), the WASM SIMD peak, memory and cost curves. Writes bench/results.json, bench/RESULTS.md,
# bench/chart.svg and the README's performance section. Takes a few minutes; run it on an idle machine.
# Arguments go to bench/run.mjs (--seconds S: time budget per implementation and shape; --no-readme).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node bench/run.mjs "$@"
