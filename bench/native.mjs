// Our native build (AVX2 / AVX-512 through xsimd) timed by the C++ tool build/native/dcn_bench_native: the
// layer's tensors go to bench/.work/<shape>/ as raw float32 files, the tool prints its timings as JSON and
// leaves its outputs there for the agreement check.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { NATIVE_BENCH, WORK_DIR } from './paths.mjs';

/** Runs the tool on shape s with tensors t at each thread count. Returns { simd, runs: [{ threads, medianMs, minMs, count, output }] }. */
export function runNative(s, t, threadCounts, seconds) {
  const dir = join(WORK_DIR, s.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'layer.json'), JSON.stringify(s));
  for (const name of ['input', 'weight', 'offset', 'mask', 'bias']) {
    const { data } = t[name];
    writeFileSync(join(dir, `${name}.f32`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const stdout = execFileSync(NATIVE_BENCH, [dir, ...threadCounts.map(String)], {
    env: { ...process.env, DCN_BENCH_SECONDS: String(seconds) }, encoding: 'utf8',
  });
  const result = JSON.parse(stdout.trim().split('\n').pop());
  return {
    simd: result.simd,
    runs: result.runs.map((r) => {
      const bytes = readFileSync(join(dir, `output_${r.threads}.f32`));
      return {
        threads: r.threads, medianMs: r.median_ms, minMs: r.min_ms, count: r.count,
        output: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
      };
    }),
  };
}
