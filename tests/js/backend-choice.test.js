// Loading and backend choice (bindings/api/backend-choice.js) on a platform the test controls: the default
// thread count is clamped whatever the machine claims, and a module that arrives after the load timeout is
// disposed (its pthread workers ended) instead of being kept alive with nobody to use it.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./helpers');
const { internalModule } = require('./internal-modules');

const { createDeformConvOn, DEFAULT_MAX_THREADS } = internalModule('api/backend-choice.js');

/** A Node.js platform whose core count and loader the test sets. */
function platform({ cores = 2, loadModule, initTimeoutMs = 30000 }) {
  return {
    logicalCores: () => cores,
    threadsUsable: () => true,
    simdSupported: () => true,
    relaxedSimdSupported: () => false, // the plain builds, which every Node.js runs
    warn: () => {},
    initTimeoutMs,
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

describe('a module that arrives after the load timeout', () => {
  test('rejects the creation with an Error and is disposed when it arrives', async () => {
    const arrived = [];
    const lateModule = () => ({
      terminateWorkers() { arrived.push('terminated'); },
      Engine: class { constructor() { arrived.push('engine made'); } },
    });
    const slow = (build) => new Promise((resolve) => setTimeout(() => { arrived.push(build); resolve(lateModule()); }, 300));
    const error = await createDeformConvOn(platform({ cores: 4, loadModule: slow, initTimeoutMs: 50 }), {}).catch((e) => e);
    expect(error.constructor).toBe(Error);
    expect(error.message).toBe('loading the threads WebAssembly module did not finish within 0.05 s');
    expect(arrived).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(arrived).toEqual(['threads', 'terminated']);
  });

  test('a real threaded module that arrives late does not keep the process alive', () => {
    // A child process: if the late module's pthread workers were left running, it would never exit.
    const script = `
      const { createDeformConvOn } = require(${JSON.stringify(internalModule.pathOf('api/backend-choice.js'))});
      const fs = require('fs');
      const base = ${JSON.stringify(path.join(ROOT, 'dist', 'wasm', 'deformconv-threads-node'))};
      const slow = (build, pool) => new Promise((resolve) => setTimeout(resolve, 200))
        .then(() => require(base + '.cjs')({ wasmBinary: fs.readFileSync(base + '.wasm'), pthreadPoolSize: pool }));
      const platform = { logicalCores: () => 4, threadsUsable: () => true, simdSupported: () => true, relaxedSimdSupported: () => false, warn() {}, initTimeoutMs: 20, loadModule: slow };
      createDeformConvOn(platform, {}).then(() => console.log('resolved'), (e) => console.log(e.message));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30000 });
    expect(out.trim()).toBe('loading the threads WebAssembly module did not finish within 0.02 s');
  });
});
