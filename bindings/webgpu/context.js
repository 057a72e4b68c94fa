// What every WebGPU operation of the backend needs from one device: compiled pipelines (cached by kernel
// and override constants), bind groups by binding name, buffers kept by role and reused across calls
// (grown when a call needs more, freed by destroy()), the buffers prepared layers keep resident (their
// weights, filled once), uploads, slices of GPU-resident tensors, dispatches and read-backs.
import { forEachRun, isWhole, packSlice, sliceElements } from './chunks.js';
import { MAX_WORKGROUPS } from './constants.js';
import { GpuFailure } from './device.js';
import { USAGE, usageNames } from './resident-tensors.js';
import { kernelBindings, kernelSource, packConv, sharedConstants } from './shaders.js';

const { STORAGE, UNIFORM, COPY_DST, COPY_SRC, MAP_READ } = USAGE;

/**
 * The GPU buffers one prepared layer keeps between its calls (prepared-layer.js): its weight slices and bias,
 * uploaded at its first call on a device and reused by the later ones. They belong to one context; the
 * layer's dispose() frees them, and so does the context's destroy() (the instance's dispose()).
 * A call holds the set from its start to its end (enter/leave): a layer disposed meanwhile (retire) frees its
 * buffers when that call ends, since the call's later chunks still read them, and calls that start after the
 * dispose upload per call and keep nothing.
 */
export class ResidentBuffers {
  constructor() {
    this.context = null;
    this.layout = null; // how the weight was cut into slices (a different cut starts over)
    this.buffers = new Map();
    this.retired = false; // the layer was disposed
    this.users = 0; // calls running with the set
  }

  /** A call starts: true when it may use the set (the layer is not disposed); it then calls leave() at its end. */
  enter() {
    if (this.retired) return false;
    this.users += 1;
    return true;
  }

  /** A call that entered has ended. */
  leave() {
    this.users -= 1;
    if (this.retired && this.users === 0) this.release();
  }

  /** The layer's dispose(): no later call uses the set, and its buffers are freed once no call holds them. */
  retire() {
    this.retired = true;
    if (this.users === 0) this.release();
  }

  release() {
    for (const buffer of this.buffers.values()) buffer.destroy();
    this.buffers.clear();
    if (this.context) this.context.residents.delete(this);
    this.context = null;
    this.layout = null;
  }
}

/**
 * The first `size` bytes of a buffer, bound as such: a caller's buffer may be larger than its tensor (onnxruntime
 * rounds its buffers up), and larger than one binding may be. Other buffers are bound whole.
 */
export class BufferRange {
  constructor(buffer, size) {
    this.buffer = buffer;
    this.size = size;
  }
}

export class GpuContext {
  constructor(device) {
    this.device = device;
    this.residents = new Set();
    this.buffers = new Map();
    this.modules = new Map();
    this.layouts = new Map();
    this.pipelines = new Map();
  }

  /** The largest buffer a call may use: every buffer is bound whole, so the smaller of the two limits. */
  get maxBytes() {
    const limits = this.device.limits;
    return Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4) * 4;
  }

  /**
   * A compute pipeline for kernel `name` with override constants (compiled once, then cached). The constants
   * of constants.js that the kernel declares are added.
   */
  async pipeline(name, given = {}, entryPoint = 'main') {
    const constants = { ...sharedConstants(name), ...given };
    const key = `${name}:${entryPoint}:${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    if (!this.modules.has(name)) {
      this.modules.set(name, this.device.createShaderModule({ code: kernelSource(name), label: `deformconv ${name}` }));
      const entries = kernelBindings(name).map((b) => ({ binding: b.binding, visibility: 4 /* COMPUTE */, buffer: { type: b.type } }));
      this.layouts.set(name, this.device.createBindGroupLayout({ entries, label: `deformconv ${name}` }));
    }
    try {
      pipeline = await this.device.createComputePipelineAsync({
        label: `deformconv ${name}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layouts.get(name)] }),
        // Override constants are numbers in the API (a bool override takes 0 or 1).
        compute: { module: this.modules.get(name), entryPoint, constants: Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, Number(v)])) },
      });
    } catch (e) {
      throw new GpuFailure(`the WebGPU kernel '${name}' did not compile: ${e && e.message}`, 'validation');
    }
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /** A bind group for kernel `name`; resources: { binding name: GPUBuffer }. */
  bindGroup(name, resources) {
    const entries = kernelBindings(name).map((b) => {
      if (!resources[b.name]) throw new Error(`internal error: kernel '${name}' needs a buffer for '${b.name}'`);
      const r = resources[b.name];
      return { binding: b.binding, resource: r instanceof BufferRange ? { buffer: r.buffer, size: r.size } : { buffer: r } };
    });
    return this.device.createBindGroup({ layout: this.layouts.get(name), entries });
  }

  /** The buffer kept for `role`, at least `bytes` long (a new one when the kept one is smaller). */
  buffer(role, bytes, usage = STORAGE | COPY_DST | COPY_SRC) {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const kept = this.buffers.get(role);
    if (kept && kept.size >= size && kept.usage === usage) return kept;
    if (kept) kept.destroy();
    if (size > this.maxBytes && !(usage & MAP_READ)) {
      throw new GpuFailure(`the ${role} buffer needs ${size} bytes, more than this device allows (${this.maxBytes})`, 'limit');
    }
    const buffer = this.device.createBuffer({ size, usage, label: `deformconv ${role}` });
    this.buffers.set(role, buffer);
    return buffer;
  }

  /** A buffer for `role` holding data (a Float32Array or Int32Array). */
  upload(role, data) {
    const buffer = this.buffer(role, data.byteLength);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * The slice `range` ({ n, c, p }) of activation t (chunks.js) in a buffer to bind as `role`: from CPU memory,
   * packed and uploaded; from a GPU-resident tensor, the caller's buffer itself when the slice is the whole
   * tensor (no copy), else its contiguous runs copied on the GPU (copyBufferToBuffer, which needs COPY_SRC).
   */
  tensorSlice(role, t, range) {
    if (!t.gpuBuffer) return this.upload(role, packSlice(t, range));
    const bytes = 4 * sliceElements(range);
    if (bytes === 0) return this.buffer(role, 0);
    if (isWhole(t, range)) return new BufferRange(t.gpuBuffer, bytes);
    if (!(t.gpuBuffer.usage & COPY_SRC)) {
      throw new TypeError(`${t.name}.gpuBuffer needs the usage COPY_SRC too: this call is split into chunks that fit the device's ` +
        `largest binding (${this.maxBytes} bytes), and each chunk's slice of ${t.name} is copied out of the buffer; its usage is ` +
        usageNames(t.gpuBuffer.usage));
    }
    const chunk = this.buffer(role, bytes);
    const encoder = this.device.createCommandEncoder();
    forEachRun(t, range, (from, to, length) => encoder.copyBufferToBuffer(t.gpuBuffer, 4 * from, chunk, 4 * to, 4 * length));
    this.device.queue.submit([encoder.finish()]);
    return chunk;
  }

  /** Copies a packed chunk (a buffer holding the slice `range`) into its place in the GPU-resident activation t. */
  copyIntoTensor(chunk, t, range) {
    const encoder = this.device.createCommandEncoder();
    forEachRun(t, range, (to, from, length) => encoder.copyBufferToBuffer(chunk, 4 * from, t.gpuBuffer, 4 * to, 4 * length));
    this.device.queue.submit([encoder.finish()]);
  }

  /**
   * Makes `resident` (a prepared layer's ResidentBuffers) hold buffers of this context cut as `layout` says:
   * buffers of another context or another cut are freed first.
   */
  adopt(resident, layout) {
    if (resident.context !== this || resident.layout !== layout) {
      resident.release();
      resident.context = this;
      resident.layout = layout;
      this.residents.add(resident);
    }
  }

  /** The buffer `resident` keeps under `key`, made and filled with data() the first time. */
  residentBuffer(resident, key, data) {
    let buffer = resident.buffers.get(key);
    if (!buffer) {
      const floats = data();
      if (floats.byteLength > this.maxBytes) {
        throw new GpuFailure(`the prepared ${key} buffer needs ${floats.byteLength} bytes, more than this device allows (${this.maxBytes})`, 'limit');
      }
      buffer = this.device.createBuffer({ size: Math.max(16, Math.ceil(floats.byteLength / 16) * 16), usage: STORAGE | COPY_DST, label: `deformconv prepared ${key}` });
      resident.buffers.set(key, buffer);
      this.device.queue.writeBuffer(buffer, 0, floats.buffer, floats.byteOffset, floats.byteLength);
    }
    return buffer;
  }

  /** The uniform buffer of `role` holding a packed Conv. */
  uniform(role, values) {
    const data = packConv(values);
    const buffer = this.buffer(role, data.byteLength, UNIFORM | COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Records one dispatch of pipeline into pass; workgroups: [x, y, z], each within the per-dimension limit. */
  dispatch(pass, pipeline, bindGroup, [x, y = 1, z = 1]) {
    if (x === 0 || y === 0 || z === 0) return;
    if (x > MAX_WORKGROUPS || y > MAX_WORKGROUPS || z > MAX_WORKGROUPS) {
      throw new GpuFailure(`a dispatch of ${x} x ${y} x ${z} workgroups is above the limit of ${MAX_WORKGROUPS} per dimension`, 'limit');
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }

  /**
   * Records a one-dimensional dispatch of `count` workgroups, folded into (x, y) when above the limit: the
   * kernel rebuilds its linear index as id.x + id.y * num_workgroups.x * workgroup size.
   */
  dispatchLinear(pass, pipeline, bindGroup, count) {
    const y = Math.ceil(count / MAX_WORKGROUPS);
    this.dispatch(pass, pipeline, bindGroup, [Math.ceil(count / Math.max(y, 1)), y]);
  }

  /**
   * Records commands and submits them as one command buffer. record(commands) gets
   * { dispatch(pipeline, bindGroup, [x, y, z]), dispatchLinear(pipeline, bindGroup, count),
   *   clear(buffer, bytes), copy(from, to, bytes) }; dispatches share compute passes, and a clear or copy
   * ends the pass it interrupts. Later commands see what earlier ones wrote.
   */
  submit(record) {
    const encoder = this.device.createCommandEncoder();
    let pass = null;
    const compute = () => (pass = pass || encoder.beginComputePass());
    const outside = () => {
      if (pass) pass.end();
      pass = null;
      return encoder;
    };
    record({
      dispatch: (pipeline, bindGroup, workgroups) => this.dispatch(compute(), pipeline, bindGroup, workgroups),
      dispatchLinear: (pipeline, bindGroup, count) => this.dispatchLinear(compute(), pipeline, bindGroup, count),
      clear: (buffer, bytes) => outside().clearBuffer(buffer, 0, Math.ceil(bytes / 4) * 4),
      copy: (from, to, bytes) => outside().copyBufferToBuffer(from, 0, to, 0, Math.ceil(bytes / 4) * 4),
    });
    outside();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Copies `parts` ([{ buffer, bytes }]) to a mappable buffer and hands each part's floats to use(i, floats). */
  async readBack(parts, use) {
    const bytes = parts.reduce((sum, part) => sum + Math.ceil(part.bytes / 16) * 16, 0);
    if (parts.length > 1 && bytes > this.maxBytes) {
      for (let i = 0; i < parts.length; i++) await this.readBack([parts[i]], (_, floats) => use(i, floats));
      return;
    }
    const offsets = [];
    let total = 0;
    for (const part of parts) {
      offsets.push(total);
      total += Math.ceil(part.bytes / 16) * 16;
    }
    const staging = this.buffer('readback', total, MAP_READ | COPY_DST);
    const encoder = this.device.createCommandEncoder();
    parts.forEach((part, i) => {
      if (part.bytes > 0) encoder.copyBufferToBuffer(part.buffer, 0, staging, offsets[i], Math.ceil(part.bytes / 4) * 4);
    });
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */, 0, Math.max(16, total));
    } catch (e) {
      throw new GpuFailure(`reading results back from the GPU failed: ${e && e.message}`, 'lost');
    }
    try {
      const mapped = staging.getMappedRange(0, Math.max(16, total));
      parts.forEach((part, i) => use(i, new Float32Array(mapped, offsets[i], part.bytes / 4)));
    } finally {
      staging.unmap();
    }
  }

  /** Frees every buffer this context made, prepared layers' included (not the device). */
  destroy() {
    for (const resident of [...this.residents]) resident.release();
    for (const buffer of this.buffers.values()) buffer.destroy();
    this.buffers.clear();
    this.pipelines.clear();
  }
}
