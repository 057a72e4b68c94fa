// Loading and backend choice (bindings/api/backend-choice.js) on a platform the test controls: the default
// thread count is clamped whatever the machine claims.
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./helpers');
const { internalModule } = require('./internal-modules');

const { createDeformConvOn, DEFAULT_MAX_THREADS } = internalModule('api/backend-choice.js');

/** A Node.js platform whose core count and loader the test sets. */
function platform({ cores = 2, loadModule }) {
  return {
    logicalCores: () => cores,
    threadsUsable: () => true,
    simdSupported: () => true,
    warn: () => {},
    loadModule,
  };
}

/** The real loader of the Node.js entry point (dist/wasm). */
function realLoader(build, pthreadPoolSize) {
  const base = path.join(ROOT, 'dist', 'wasm', `deformconv-${build}-node`);
  return require(`${base}.cjs`)({ wasmBinary: fs.readFileSync(`${base}.wasm`), pthreadPoolSize });
}

const STOP = new Error('stop here: the test only looks at what was asked of the loader');

describe('the default thread count', () => {
  test.each([[1, 'simd', 0], [2, 'threads', 1], [8, 'threads', 7], [12, 'threads', 7], [192, 'threads', 7]])(
    'on %i logical cores: the %s build with %i pthread workers', async (cores, build, workers) => {
      const asked = [];
      const p = platform({ cores, loadModule: async (b, pool) => { asked.push([b, pool]); throw STOP; } });
      await expect(createDeformConvOn(p, {})).rejects.toBe(STOP);
      expect(asked).toEqual([[build, workers]]);
    });

  test(`is at most ${DEFAULT_MAX_THREADS}; an explicit threads option is not clamped to it`, async () => {
    expect(DEFAULT_MAX_THREADS).toBe(8);
    const asked = [];
    const p = platform({ cores: 192, loadModule: async (b, pool) => { asked.push(pool); throw STOP; } });
    await expect(createDeformConvOn(p, { threads: 16 })).rejects.toBe(STOP);
    expect(asked).toEqual([15]);
  });

  test('a real instance on a machine that claims 64 cores runs 8 threads', async () => {
    const dc = await createDeformConvOn(platform({ cores: 64, loadModule: realLoader }), {});
    try {
      expect(dc.info()).toMatchObject({ backend: 'wasm', wasmBuild: 'threads', threads: 8 });
      const y = await dc.deformConv2d({ data: new Float32Array(4).fill(1), shape: [1, 1, 2, 2] },
        { data: new Float32Array(8), shape: [1, 2, 2, 2] }, { data: new Float32Array([3]), shape: [1, 1, 1, 1] });
      expect(Array.from(y.data)).toEqual([3, 3, 3, 3]);
    } finally {
      dc.dispose();
    }
  });
});
