#!/usr/bin/env bash
# `npm test`: sets up what is missing, builds everything, then runs every test: the native GoogleTest
# suite under CTest, the same suite under ASan + UBSan and a bounded libFuzzer run (scripts/test-sanitizers.sh),
# then the Jest suite against the WebAssembly builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
echo "test: native tests (ctest)"
ctest --test-dir build/native --output-on-failure -j"$(nproc)"
bash scripts/test-sanitizers.sh
echo "test: JS tests (jest)"
npx jest --ci
