// The WebAssembly backend: one Emscripten module and one core Engine (with its thread pool) per instance.
// It runs requests (bindings/api/request.js) that the instance's validator, this module's, has accepted: copies
// the tensors into the module's heap, runs the validated call, copies the results out into fresh Float32Arrays
// the caller owns, and frees everything, error or not.
// The forward pass works channels-last, so an NCHW input is written into the heap channels-last during its
// copy-in (through a small staging block the core transposes): the core then needs no second, NHWC copy of
// the input, and the memory a call adds beyond its tensors stays bounded whatever the image size.
import { CoreValidator, errorFrom, HEADROOM_BYTES, heapBytes } from './validator.js';

// Floats of the staging block of the channels-last copy-in (1 MiB).
const STAGING_FLOATS = 1 << 18;

// The gradient each differentiable input gets, by tensor name. MindSpore's mask lives inside offsets.
const GRADIENTS = { input: 'gradInput', offset: 'gradOffset', mask: 'gradMask', weight: 'gradWeight', bias: 'gradBias' };

// What the core of a relaxed-SIMD build calls its instruction set (src/simd_name.cpp).
const RELAXED_SIMD_NAME = 'wasm-relaxed-simd';

export class WasmBackend {
  /**
   * @param module an instantiated Emscripten module (dist/wasm/deformconv-*.{cjs,mjs})
   * @param build 'threads' | 'simd', or 'validate' (the SIMD-free module: it validates, it runs nothing)
   * @param threads threads the engine runs (the caller's thread included)
   * @param allowSpinning false: the worker threads sleep as soon as a call ends instead of spinning for the next
   */
  constructor(module, build, threads, allowSpinning = true) {
    this.module = module;
    this.build = build;
    this.engine = new module.Engine(threads);
    if (!allowSpinning) this.engine.setAllowSpinning(false);
    this.threads = this.engine.threads();
    /** The core's validator in this module: every call of the instance is validated here. */
    this.validator = new CoreValidator(module, this.engine);
  }

  /** Whether this module can run calls (the validation-only module cannot). */
  get canRun() {
    return this.build !== 'validate';
  }

  /** A Float32Array over the whole heap; made afresh because the heap's buffer changes when memory grows. */
  heapF32() {
    const buffer = this.module.wasmMemory ? this.module.wasmMemory.buffer : this.module.HEAPF32.buffer;
    return new Float32Array(buffer);
  }

  /**
   * A RangeError unless the validated call (an embind ValidatedCall) fits in this module's memory: its tensors,
   * results and workspace together within 4 GiB. Asked of every call before it runs here.
   */
  checkMemory(validated) {
    const answer = this.engine.checkMemory(validated);
    if (!answer.ok) throw errorFrom(answer);
  }

  /**
   * Runs a request (request.js). Forward: { data, shape }. Backward: the gradients keyed by tensor name,
   * { input, offset, mask, weight, bias }, each { data, shape } or null when that input is absent.
   * packed: a prepared layer's PackedWeights (forward only), or null.
   */
  run(request, packed = null) {
    return request.op === 'forward' ? this.forward(request, packed) : this.backward(request);
  }

  /**
   * packed: a prepared layer's PackedWeights or null; with it the weights are packed into the heap once, at the
   * first call (or when the weight groups change), and not copied in again.
   */
  forward(request, packed) {
    const { tensors, names } = request;
    const copied = ['input', 'offset', 'mask'].concat(packed ? [] : ['weight', 'bias']).filter((name) => tensors[name]);
    const pointers = {};
    const channelsLast = request.dataFormat !== 'NHWC';
    let headroom = this.allocateBytes(HEADROOM_BYTES, 'the core\'s working headroom');
    try {
      if (packed) pointers.packedWeights = this.packedWeightsFor(packed, request);
      for (const name of copied) {
        pointers[name] = name === 'input' && channelsLast
          ? this.copyInChannelsLast(tensors.input, names.input)
          : this.copyIn(tensors[name].data, names[name]);
      }
      pointers.output = this.allocate(request.outputElements, 'the output');
      this.module._free(headroom);
      headroom = 0;
      const liveBefore = this.module.workspaceLiveBytes();
      this.module.resetWorkspacePeak();
      const answer = this.engine.forward(request.validated, pointers, channelsLast);
      if (!answer.ok) throw errorFrom(answer);
      this.lastForwardMemory = {
        workspacePeakBytes: this.module.workspacePeakBytes() - liveBefore,
        packedWeightBytes: packed ? 0 : request.packedWeightBytes,
        stagingBytes: channelsLast ? this.lastStagingBytes : 0,
      };
      return { data: this.copyOut(pointers.output, request.outputElements), shape: request.outputShape.slice() };
    } finally {
      if (headroom) this.module._free(headroom);
      for (const name of Object.keys(pointers)) if (name !== 'packedWeights') this.module._free(pointers[name]);
    }
  }

  /**
   * The heap address of a prepared layer's weights packed for this request: kept from an earlier call when the
   * weight groups are the same, else packed now from copies of the weight and bias that are freed right after.
   */
  packedWeightsFor(packed, request) {
    const { tensors, names } = request;
    const groups = request.params.groups, bytes = request.packedWeightBytes;
    if (packed.backend === this && packed.pointer && packed.groups === groups && packed.bytes === bytes) return packed.pointer;
    packed.release();
    const pointers = {};
    try {
      pointers.packedWeights = this.allocateBytes(bytes, 'the packed weights');
      pointers.weight = this.copyIn(tensors.weight.data, names.weight);
      if (tensors.bias) pointers.bias = this.copyIn(tensors.bias.data, names.bias);
      const answer = this.engine.packWeights(request.validated, pointers);
      if (!answer.ok) throw errorFrom(answer);
      Object.assign(packed, { backend: this, pointer: pointers.packedWeights, bytes, groups });
      delete pointers.packedWeights;
      return packed.pointer;
    } finally {
      for (const name of Object.keys(pointers)) this.module._free(pointers[name]);
    }
  }

  backward(request) {
    const { tensors, names } = request;
    const copied = ['gradOutput', 'input', 'weight', 'offset', 'mask'].filter((name) => tensors[name]);
    const present = Object.keys(GRADIENTS).filter((name) => tensors[name]);
    const pointers = {};
    let headroom = this.allocateBytes(HEADROOM_BYTES, 'the core\'s working headroom');
    try {
      for (const name of copied) pointers[name] = this.copyIn(tensors[name].data, names[name]);
      for (const name of present) pointers[GRADIENTS[name]] = this.allocate(tensors[name].data.length, `the gradient of ${names[name]}`);
      this.module._free(headroom);
      headroom = 0;
      const answer = this.engine.backward(request.validated, pointers);
      if (!answer.ok) throw errorFrom(answer);
      const result = {};
      for (const name of Object.keys(GRADIENTS)) {
        result[name] = tensors[name]
          ? { data: this.copyOut(pointers[GRADIENTS[name]], tensors[name].data.length), shape: [...tensors[name].shape] }
          : null;
      }
      return result;
    } finally {
      if (headroom) this.module._free(headroom);
      for (const name of Object.keys(pointers)) this.module._free(pointers[name]);
    }
  }

  /** Heap memory for `elements` floats; an Error (not an abort) when the heap cannot provide it. */
  allocate(elements, what) {
    return this.allocateBytes(elements * 4, what);
  }

  /**
   * The address as an unsigned number: _malloc returns addresses above 2 GiB as negative int32, which the
   * core would not take for an address (and heapF32()'s index needs >>> 2 of the unsigned value anyway).
   */
  allocateBytes(bytes, what) {
    const pointer = bytes > 0xffffffff ? 0 : this.module._malloc(Math.max(bytes, 4)) >>> 0;
    if (!pointer) {
      throw new Error(`out of memory: could not allocate ${bytes} bytes of WebAssembly memory for ${what} ` +
        `(heap now ${heapBytes(this.module)} bytes, at most 4 GiB)`);
    }
    return pointer;
  }

  copyIn(data, what) {
    const pointer = this.allocate(data.length, what);
    this.heapF32().set(data, pointer >>> 2);
    return pointer;
  }

  /**
   * Copies an NCHW tensor into the heap as NHWC: block by block (channels x pixels) into a staging area of at
   * most STAGING_FLOATS, which the core transposes into place. Returns the heap address.
   */
  copyInChannelsLast({ data, shape }, what) {
    const [N, C, H, W] = shape;
    const HW = H * W;
    const pointer = this.allocate(data.length, what);
    if (C <= 1 || HW <= 1) { // one channel or one pixel: both orders are the same
      this.heapF32().set(data, pointer >>> 2);
      this.lastStagingBytes = 0;
      return pointer;
    }
    const blockPixels = Math.min(HW, STAGING_FLOATS);
    const blockChannels = Math.max(1, Math.min(C, Math.floor(STAGING_FLOATS / blockPixels)));
    let staging = 0;
    try {
      staging = this.allocate(blockChannels * blockPixels, `the staging block of ${what}`);
      this.lastStagingBytes = blockChannels * blockPixels * 4;
      for (let n = 0; n < N; n++) {
        for (let c0 = 0; c0 < C; c0 += blockChannels) {
          const channels = Math.min(blockChannels, C - c0);
          for (let p0 = 0; p0 < HW; p0 += blockPixels) {
            const pixels = Math.min(blockPixels, HW - p0);
            const heap = this.heapF32();
            if (pixels === HW) { // whole planes: one contiguous run of the NCHW tensor
              const from = (n * C + c0) * HW;
              heap.set(data.subarray(from, from + channels * HW), staging >>> 2);
            } else {
              for (let c = 0; c < channels; c++) {
                const from = (n * C + c0 + c) * HW + p0;
                heap.set(data.subarray(from, from + pixels), (staging >>> 2) + c * pixels);
              }
            }
            this.engine.toChannelsLast(staging, pointer + 4 * ((n * HW + p0) * C + c0), channels, pixels, C);
          }
        }
      }
    } catch (error) {
      this.module._free(pointer);
      throw error;
    } finally {
      if (staging) this.module._free(staging);
    }
    return pointer;
  }

  /**
   * Memory of the last forward call in bytes: the core's peak workspace (packed weights included), the packed
   * weights, and the copy-in's staging block. The benchmark reads it.
   */
  lastForwardMemoryStats() {
    return this.lastForwardMemory ? { ...this.lastForwardMemory } : null;
  }

  copyOut(pointer, elements) {
    // Copied as bytes: V8 copies a Float32Array out of a shared (threaded build) memory element by element,
    // about 6x slower than a byte copy of the same data (0.44 vs 0.07 ms for 1 MiB in Node 20).
    const buffer = this.heapF32().buffer;
    const out = new Uint8Array(elements * 4);
    out.set(new Uint8Array(buffer, pointer, elements * 4));
    return new Float32Array(out.buffer);
  }

  info() {
    const simd = this.module.simdName();
    return { simd, relaxedSimd: simd === RELAXED_SIMD_NAME, threads: this.threads, build: this.build };
  }

  /** { heapBytes, allocatedBytes }: the size of the WebAssembly heap and the bytes malloc has handed out. */
  heapStats() {
    return this.module.heapStats();
  }

  dispose() {
    this.engine.delete(); // joins the pool's threads
    if (this.module.terminateWorkers) this.module.terminateWorkers(); // ends the Web Workers / worker_threads
    this.engine = null;
    this.module = null;
  }
}
