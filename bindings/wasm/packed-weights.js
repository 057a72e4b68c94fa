// The packed weights a prepared layer (bindings/api/prepared-layer.js) keeps in one WebAssembly backend's heap.
// The packed form depends on the weight groups, which torchvision's convention derives from the input's
// channel count: the weights are packed at the first call and packed again only if a later input implies
// other groups (backend.js, packedWeightsFor).
export class PackedWeights {
  constructor() {
    this.backend = null; // the WasmBackend whose heap holds them
    this.pointer = 0;
    this.bytes = 0;
    this.groups = 0;
  }

  /** Frees the heap memory (if the backend is still alive). */
  release() {
    if (this.pointer && this.backend && this.backend.module) this.backend.module._free(this.pointer);
    this.backend = null;
    this.pointer = 0;
  }
}
