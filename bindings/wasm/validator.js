// The core's validator (src/validate.cpp) as the JS API uses it: through the Engine of whichever WebAssembly
// module the instance loaded (a full module, or the SIMD-free validation-only one). Every backend's calls are
// validated here, so WebAssembly and WebGPU reject the same calls with the same errors.

// Bytes kept free for the core's own small allocations (argument lists, messages in the validator and the
// embind glue): in a WebAssembly module built without exceptions a failed small allocation aborts the module.
// They must be free before a validation, and backend.js holds them back while a call's tensors are copied in,
// releasing them just before the core runs. Running out of memory is then always a checked failure (an
// Error), never an abort.
export const HEADROOM_BYTES = 256 * 1024;

/** Bytes of the module's heap now (it grows as calls need). */
export function heapBytes(module) {
  const memory = module.wasmMemory ? module.wasmMemory.buffer : (module.HEAPF32 || module.HEAPU8).buffer;
  return memory.byteLength;
}

/** The Error, TypeError or RangeError of a rejected answer of the core ({ ok: false, errorKind, message }). */
export function errorFrom(answer) {
  const Kind = answer.errorKind === 'TypeError' ? TypeError : answer.errorKind === 'RangeError' ? RangeError : Error;
  return new Kind(answer.message);
}

export class CoreValidator {
  /** module: an instantiated Emscripten module; engine: its Engine (validate(args) -> answer). */
  constructor(module, engine) {
    this.module = module;
    this.engine = engine;
  }

  /**
   * Validates a call's arguments (calls.js `args`): its shapes, parameters and element counts. Returns the
   * core's answer ({ params, outputShape, outputElements, ..., call }: `call` is the embind ValidatedCall the
   * caller must delete) or throws the TypeError / RangeError the core gives.
   */
  validate(args) {
    const headroom = this.module._malloc(HEADROOM_BYTES) >>> 0;
    if (!headroom) {
      throw new Error(`out of memory: could not allocate ${HEADROOM_BYTES} bytes of WebAssembly memory for the core's ` +
        `working headroom (heap now ${heapBytes(this.module)} bytes, at most 4 GiB)`);
    }
    this.module._free(headroom);
    const answer = this.engine.validate(args);
    if (!answer.ok) throw errorFrom(answer);
    return answer;
  }
}
