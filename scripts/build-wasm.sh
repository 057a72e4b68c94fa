#!/usr/bin/env bash
# Builds the WebAssembly modules (eight builds of the core: threads and simd, plain and relaxed SIMD, for Node.js
# and the web; and the SIMD-free validator) into dist/wasm/ with Debian's Emscripten (see docs/toolchain.md).
# The relaxed-SIMD builds end with scripts/finalize-relaxed-simd.mjs, which CMake runs after linking them
# (docs/relaxed-simd.md: Emscripten 3.1.6's clang 14 and binaryen 108 know only the prototype opcode).
set -euo pipefail
cd "$(dirname "$0")/.."
# emcc's acorn optimizer is a Debian node module.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# A folder holding only a link to xsimd: -I/usr/include would pull glibc headers into the WASM build.
mkdir -p .xsimd-include
ln -sfn /usr/include/xsimd .xsimd-include/xsimd
if [ ! -f build/wasm/CMakeCache.txt ]; then
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release -DDCN_XSIMD_INCLUDE="$PWD/.xsimd-include" >/dev/null
fi
cmake --build build/wasm -j"$(nproc)"
