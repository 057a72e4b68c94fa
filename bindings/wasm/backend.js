// The WebAssembly backend: one Emscripten module and one core Engine (with its thread pool) per instance.
// A call validates in the core, checks the data lengths, copies the tensors into the module's heap, runs,
// copies the results out into fresh Float32Arrays the caller owns, and frees everything, error or not.
// The forward pass works channels-last, so an NCHW input is written into the heap channels-last during its
// copy-in (through a small staging block the core transposes): the core then needs no second, NHWC copy of
// the input, and the memory a call adds beyond its tensors stays bounded whatever the image size.
import { checkElementCount } from '../api/tensors.js';

// Floats of the staging block of the channels-last copy-in (1 MiB).
const STAGING_FLOATS = 1 << 18;

// Bytes held back while a call's tensors are copied in, and released just before the core runs: the core
// and its embind glue make a few small allocations of their own (argument lists, messages), and in a
// WebAssembly module built without exceptions a failed small allocation aborts the module. With this
// headroom, running out of memory is always one of the checked failures (an Error), never an abort.
const HEADROOM_BYTES = 256 * 1024;

function errorFrom(answer) {
  const Kind = answer.errorKind === 'TypeError' ? TypeError : answer.errorKind === 'RangeError' ? RangeError : Error;
  return new Kind(answer.message);
}

export class WasmBackend {
  /**
   * @param module an instantiated Emscripten module (dist/wasm/deformconv-*.{cjs,mjs})
   * @param build 'threads' | 'simd'
   * @param threads threads the engine runs (the caller's thread included)
   * @param allowSpinning false: the worker threads sleep as soon as a call ends instead of spinning for the next
   */
  constructor(module, build, threads, allowSpinning = true) {
    this.module = module;
    this.build = build;
    this.engine = new module.Engine(threads);
    if (!allowSpinning) this.engine.setAllowSpinning(false);
    this.threads = this.engine.threads();
  }

  /** A Float32Array over the whole heap; made afresh because the heap's buffer changes when memory grows. */
  heapF32() {
    const buffer = this.module.wasmMemory ? this.module.wasmMemory.buffer : this.module.HEAPF32.buffer;
    return new Float32Array(buffer);
  }

  /** Validates a call's arguments in the core; returns the core's answer (outputShape, flops, ...) or throws. */
  validate(args) {
    const answer = this.engine.validate(args);
    if (!answer.ok) throw errorFrom(answer);
    return answer;
  }

  /**
   * Validates a call described by calls.js in the core and checks that every tensor's data holds what its
   * shape says; returns the core's answer. The WebGPU backend validates through this too.
   */
  check({ args, tensors, argNames }) {
    this.ensureHeadroom();
    const plan = this.validate(args);
    for (const name of Object.keys(tensors)) if (tensors[name]) checkElementCount(tensors[name], argNames[name]);
    return plan;
  }

  /**
   * Runs a forward call described by calls.js. Returns { data, shape }. packed: a prepared layer's
   * PackedWeights (prepared-layer.js) or null; with it the weights are packed into the heap once, at the
   * first call (or when the weight groups change), and not copied in again.
   */
  forward(call, packed = null) {
    const { args, tensors, argNames } = call;
    const plan = this.check(call);
    const names = ['input', 'offset', 'mask'].concat(packed ? [] : ['weight', 'bias']).filter((name) => tensors[name]);
    const pointers = {};
    const channelsLast = args.dataFormat !== 'NHWC';
    let headroom = this.allocateBytes(HEADROOM_BYTES, 'the core\'s working headroom');
    try {
      if (packed) pointers.packedWeights = this.packedWeightsFor(packed, plan, tensors, argNames);
      for (const name of names) {
        pointers[name] = name === 'input' && channelsLast
          ? this.copyInChannelsLast(tensors.input, argNames.input)
          : this.copyIn(tensors[name].data, argNames[name]);
      }
      pointers.output = this.allocate(plan.outputElements, 'the output');
      this.module._free(headroom);
      headroom = 0;
      const liveBefore = this.module.workspaceLiveBytes();
      this.module.resetWorkspacePeak();
      const answer = this.engine.forward(pointers, channelsLast);
      if (!answer.ok) throw errorFrom(answer);
      this.lastForwardMemory = {
        workspacePeakBytes: this.module.workspacePeakBytes() - liveBefore,
        packedWeightBytes: packed ? 0 : plan.packedWeightBytes,
        stagingBytes: channelsLast ? this.lastStagingBytes : 0,
      };
      return { data: this.copyOut(pointers.output, plan.outputElements), shape: plan.outputShape };
    } finally {
      if (headroom) this.module._free(headroom);
      for (const name of Object.keys(pointers)) if (name !== 'packedWeights') this.module._free(pointers[name]);
    }
  }

  /**
   * The heap address of a prepared layer's weights packed for the call validate() accepted last (plan): kept
   * from an earlier call when the weight groups are the same, else packed now from copies of the weight and
   * bias that are freed right after.
   */
  packedWeightsFor(packed, plan, tensors, argNames) {
    if (packed.backend === this && packed.pointer && packed.groups === plan.groups && packed.bytes === plan.packedWeightBytes) {
      return packed.pointer;
    }
    packed.release();
    const pointers = {};
    try {
      pointers.packedWeights = this.allocateBytes(plan.packedWeightBytes, 'the packed weights');
      pointers.weight = this.copyIn(tensors.weight.data, argNames.weight);
      if (tensors.bias) pointers.bias = this.copyIn(tensors.bias.data, argNames.bias);
      const answer = this.engine.packWeights(pointers);
      if (!answer.ok) throw errorFrom(answer);
      Object.assign(packed, { backend: this, pointer: pointers.packedWeights, bytes: plan.packedWeightBytes, groups: plan.groups });
      delete pointers.packedWeights;
      return packed.pointer;
    } finally {
      for (const name of Object.keys(pointers)) this.module._free(pointers[name]);
    }
  }

  /**
   * Runs a backward call (calls.js with gradOutput). Returns the gradients keyed by tensor name:
   * { input, offset, mask, weight, bias }, each { data, shape } or null when that input is absent.
   */
  backward({ args, tensors, argNames }) {
    this.ensureHeadroom();
    this.validate(args);
    const names = ['gradOutput', 'input', 'weight', 'offset', 'mask', 'bias'].filter((name) => tensors[name]);
    for (const name of names) checkElementCount(tensors[name], argNames[name]);
    // One gradient per differentiable input, shaped like it. MindSpore's mask lives inside offsets.
    const gradients = { input: 'gradInput', offset: 'gradOffset', mask: 'gradMask', weight: 'gradWeight', bias: 'gradBias' };
    const present = Object.keys(gradients).filter((name) => tensors[name]);
    const pointers = {};
    let headroom = this.allocateBytes(HEADROOM_BYTES, 'the core\'s working headroom');
    try {
      for (const name of names) if (name !== 'bias') pointers[name] = this.copyIn(tensors[name].data, argNames[name]);
      for (const name of present) pointers[gradients[name]] = this.allocate(tensors[name].data.length, `the gradient of ${argNames[name]}`);
      this.module._free(headroom);
      headroom = 0;
      const answer = this.engine.backward(args, pointers);
      if (!answer.ok) throw errorFrom(answer);
      const result = {};
      for (const name of Object.keys(gradients)) {
        result[name] = tensors[name]
          ? { data: this.copyOut(pointers[gradients[name]], tensors[name].data.length), shape: [...tensors[name].shape] }
          : null;
      }
      return result;
    } finally {
      if (headroom) this.module._free(headroom);
      for (const name of Object.keys(pointers)) this.module._free(pointers[name]);
    }
  }

  /** An Error unless HEADROOM_BYTES are free: the core's validator allocates a little too. */
  ensureHeadroom() {
    this.module._free(this.allocateBytes(HEADROOM_BYTES, 'the core\'s working headroom'));
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
        `(heap now ${this.heapF32().byteLength} bytes, at most 4 GiB)`);
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
    return { simd: this.module.simdName(), threads: this.threads, build: this.build };
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
