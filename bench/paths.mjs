// Where the benchmark finds the repository, the native tool and its scratch folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const WORK_DIR = join(BENCH_DIR, '.work'); // git-ignored: layer data for the native run
export const NATIVE_BENCH = join(ROOT, 'build', 'native', 'dcn_bench_native');
