// Getting a WebGPU device: the caller's own (options.gpuDevice, shared with onnxruntime-web or TensorFlow.js),
// or one from an adapter of `gpu` (options.gpu, e.g. create([]) of the npm package `webgpu` in Node.js) or of
// navigator.gpu. Also the one error class for failures inside WebGPU, which 'auto' answers by falling back to
// WebAssembly and 'webgpu' by rejecting.

/**
 * A failure inside the WebGPU backend (not a bad argument). kind: 'unavailable' (no WebGPU, no adapter, no
 * device), 'lost' (the device was lost), 'limit' (a buffer the call needs is above the device's limits even
 * after splitting), 'out-of-memory', 'validation' or 'internal' (errors WebGPU reported, shader errors among
 * them). 'limit' and 'out-of-memory' depend on the call; the others mean the device cannot be used any more.
 */
export class GpuFailure extends Error {
  constructor(message, kind) {
    super(message);
    this.name = 'GpuFailure';
    this.kind = kind;
  }

  /** True when only this call is affected: a smaller call may still run on the GPU. */
  get transient() {
    return this.kind === 'limit' || this.kind === 'out-of-memory';
  }
}

function adapterName(info) {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => typeof s === 'string' && s);
  return parts.length ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

function isFallback(adapter, info) {
  if (info && typeof info.isFallbackAdapter === 'boolean') return info.isFallbackAdapter;
  return adapter ? adapter.isFallbackAdapter === true : false;
}

/**
 * { device, ownsDevice, adapter: name, isFallbackAdapter, keep: objects to keep alive beside the device }.
 * allowFallbackAdapter: false rejects a software adapter (SwiftShader, WARP), as backend 'auto' wants.
 * Throws GpuFailure('unavailable') when there is no usable device.
 */
export async function openDevice({ gpu, gpuDevice, allowFallbackAdapter }) {
  if (gpuDevice !== undefined && gpuDevice !== null) { // checked with the other options (api/backend-choice.js)
    const info = gpuDevice.adapterInfo;
    return { device: gpuDevice, ownsDevice: false, adapter: adapterName(info), isFallbackAdapter: isFallback(null, info) };
  }
  const api = gpu !== undefined && gpu !== null ? gpu : globalThis.navigator && globalThis.navigator.gpu;
  if (!api || typeof api.requestAdapter !== 'function') {
    throw new GpuFailure('WebGPU is not available: navigator.gpu is missing (in Node.js, pass the GPU object of ' +
      "the npm package 'webgpu' as createDeformConv({ gpu: create([]) }))", 'unavailable');
  }
  let adapter;
  try {
    adapter = await api.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new GpuFailure(`WebGPU requestAdapter() failed: ${e && e.message}`, 'unavailable');
  }
  if (!adapter) throw new GpuFailure('no WebGPU adapter: requestAdapter() returned null', 'unavailable');
  const info = adapter.info;
  const fallback = isFallback(adapter, info);
  if (fallback && !allowFallbackAdapter) {
    throw new GpuFailure(`the only WebGPU adapter is a fallback (software) adapter (${adapterName(info)}): ` +
      "backend 'auto' does not use it; ask for backend 'webgpu' to use it anyway", 'unavailable');
  }
  // The largest buffers the adapter allows, instead of the 128/256 MiB defaults: fewer chunks.
  const requiredLimits = {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
  let device;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'deformconv-wasm' });
  } catch (e) {
    throw new GpuFailure(`WebGPU requestDevice() failed: ${e && e.message}`, 'unavailable');
  }
  // `keep` holds the GPU object and the adapter for as long as the device lives: in Node.js, Dawn (npm
  // `webgpu`) tears its instance down when create()'s GPU object is garbage-collected, under a live device.
  return { device, ownsDevice: true, adapter: adapterName(info), isFallbackAdapter: fallback, keep: [api, adapter] };
}
