#!/usr/bin/env bash
# Builds the WebAssembly modules (four builds of the core, the SIMD-free validator) into dist/wasm/ with Debian's Emscripten (see docs/toolchain.md).
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
