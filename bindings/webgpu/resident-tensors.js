// GPU-resident tensors: a caller's GPUBuffer read in place ({ gpuBuffer, shape }), and the buffer a forward call
// with output: 'gpu-buffer' hands back. api/tensors.js checks what JavaScript can see of a buffer (that it is
// one, its usage, its size against the shape); what only the device can tell is checked here, before a call
// does any work: that the buffer belongs to the instance's device, is not destroyed and is not mapped. WebGPU
// has no getter for the first two, so a probe asks the device: a bind group holding the buffer (its creation
// fails for a buffer of another device) set in an empty compute pass and submitted (the submit fails for a
// destroyed or mapped buffer), inside error scopes: one probe for all of a call's buffers, then one per buffer
// only when it failed, to name the argument.

/** GPUBufferUsage bits (the GPUBufferUsage global is missing in Node.js). */
export const USAGE = { MAP_READ: 0x01, MAP_WRITE: 0x02, COPY_SRC: 0x04, COPY_DST: 0x08, UNIFORM: 0x40, STORAGE: 0x80 };

const USAGE_NAMES = [[0x01, 'MAP_READ'], [0x02, 'MAP_WRITE'], [0x04, 'COPY_SRC'], [0x08, 'COPY_DST'], [0x10, 'INDEX'],
  [0x20, 'VERTEX'], [0x40, 'UNIFORM'], [0x80, 'STORAGE'], [0x100, 'INDIRECT'], [0x200, 'QUERY_RESOLVE']];

/** GPUBufferUsage flags in words: 'STORAGE | COPY_SRC' ('none' for 0). */
export function usageNames(usage) {
  const names = USAGE_NAMES.filter(([bit]) => usage & bit).map(([, name]) => name);
  return names.length ? names.join(' | ') : 'none';
}

/** The usage of the buffers output: 'gpu-buffer' returns: bound by the next kernel, copied out, written into. */
export const OUTPUT_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

const probeLayouts = new WeakMap(); // device -> the bind group layout of the probe

function probeLayout(device) {
  let layout = probeLayouts.get(device);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: 'deformconv GPU-resident tensor check',
      entries: [{ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'read-only-storage' } }],
    });
    probeLayouts.set(device, layout);
  }
  return layout;
}

/**
 * Probes the buffers of `tensors` ([{ gpuBuffer, shape, name }]) on device; resolves to { bindGroup, submit }:
 * the message of the error scope around their bind groups (another device) and around the submit (destroyed,
 * mapped), or null each.
 */
async function probe(device, tensors) {
  const layout = probeLayout(device);
  device.pushErrorScope('validation'); // the submit
  device.pushErrorScope('validation'); // the bind groups
  const groups = tensors.map((t) => device.createBindGroup({
    layout, entries: [{ binding: 0, resource: { buffer: t.gpuBuffer, size: Math.min(t.gpuBuffer.size, 4 * Math.max(1, elements(t))) } }],
  }));
  const bindGroupError = device.popErrorScope();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  groups.forEach((group) => pass.setBindGroup(0, group));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const submitError = device.popErrorScope();
  const [a, b] = await Promise.all([bindGroupError, submitError]);
  return { bindGroup: a && a.message, submit: b && b.message };
}

function elements(t) {
  return t.shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks the GPU-resident tensors of a request (bindings/api/request.js) on device, before the call reads them:
 * a TypeError naming the argument for a buffer that is mapped, destroyed or of another device.
 */
export async function checkResidentTensors(device, tensors) {
  const resident = Object.values(tensors).filter((t) => t && t.gpuBuffer !== undefined && t.gpuBuffer.size > 0);
  if (!resident.length) return;
  for (const t of resident) {
    const state = t.gpuBuffer.mapState;
    if (state !== undefined && state !== 'unmapped') {
      throw new TypeError(`${t.name}.gpuBuffer is ${state === 'pending' ? 'being mapped' : 'mapped'} (mapState '${state}'); ` +
        'a mapped buffer cannot be read by the GPU: unmap() it before the call');
    }
  }
  const all = await probe(device, resident);
  if (!all.bindGroup && !all.submit) return;
  for (const t of resident) {
    const one = resident.length === 1 ? all : await probe(device, [t]);
    if (one.bindGroup) {
      throw new TypeError(`${t.name}.gpuBuffer cannot be used with this instance's GPUDevice: it belongs to another device ` +
        `(create the instance with createDeformConv({ backend: 'webgpu', gpuDevice }) on the device that made the buffer). ` +
        `WebGPU says: ${firstLine(one.bindGroup)}`);
    }
    if (one.submit) {
      throw new TypeError(`${t.name}.gpuBuffer cannot be read: it was destroyed. WebGPU says: ${firstLine(one.submit)}`);
    }
  }
  // The probe of all failed and none alone: not a buffer's fault.
  throw new Error(`internal error: checking the GPU-resident tensors failed: ${firstLine(all.bindGroup || all.submit)}`);
}

function firstLine(message) {
  return String(message).split('\n')[0];
}

/**
 * The result of a forward call with output: 'gpu-buffer': { gpuBuffer, shape, dispose() }. The caller owns the
 * buffer (usage STORAGE | COPY_SRC | COPY_DST, at least 4 bytes per element); dispose() destroys it, and a
 * second dispose() does nothing.
 */
export function residentResult(gpuBuffer, shape) {
  let disposed = false;
  return {
    gpuBuffer,
    shape,
    dispose() {
      if (disposed) return;
      disposed = true;
      gpuBuffer.destroy();
    },
  };
}
