#!/usr/bin/env bash
# The native tests again under AddressSanitizer and UndefinedBehaviorSanitizer, then the libFuzzer target
# for a bounded time, both from build/asan (clang, -O1, every finding fatal). Part of `npm test`.
#   DCN_FUZZ_SECONDS  how long to fuzz (default 30; 0 only replays the seed corpus and the regressions)
# A crash leaves its input in build/asan/fuzz-artifacts/: reproduce it with
#   build/asan/dcn_fuzz_forward build/asan/fuzz-artifacts/crash-...
# then fix it, copy the input into tests/fuzz/regressions/ and add a native test (tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=${DCN_FUZZ_SECONDS:-30}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Configured when there is no build/asan yet, and again when an existing one lacks the fuzz option (a folder
# left by an older checkout, configured before the fuzz target existed).
if [ ! -f build/asan/CMakeCache.txt ] || ! grep -q '^DCN_FUZZ:BOOL=ON' build/asan/CMakeCache.txt; then
  CC=clang CXX=clang++ cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DDCN_SANITIZE=address,undefined -DDCN_FUZZ=ON >/dev/null
fi
cmake --build build/asan -j"$(nproc)" --target dcn_native_tests dcn_fuzz_forward

echo "test: native tests under ASan + UBSan (build/asan)"
ctest --test-dir build/asan --output-on-failure -j"$(nproc)"

echo "test: fuzzing for ${fuzz_seconds} s (tests/fuzz/corpus, tests/fuzz/regressions)"
mkdir -p build/asan/fuzz-corpus build/asan/fuzz-artifacts
# The first folder receives what the fuzzer finds new, so the committed corpus is only read.
build/asan/dcn_fuzz_forward -seed="${DCN_FUZZ_SEED:-1}" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix=build/asan/fuzz-artifacts/ \
  build/asan/fuzz-corpus tests/fuzz/corpus tests/fuzz/regressions 2>build/asan/fuzz.log || {
  tail -n 40 build/asan/fuzz.log
  echo "test: the fuzzer found a failure; its input is in build/asan/fuzz-artifacts/" >&2
  exit 1
}
grep -E '^(Done|stat::(number_of_executed_units|new_units_added))' build/asan/fuzz.log
