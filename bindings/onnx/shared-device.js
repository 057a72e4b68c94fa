// A model on WebGPU end to end: onnxruntime on its 'webgpu' execution provider and this package's WebGPU backend
// on one GPUDevice, so that tensors cross between the steps as GPU buffers (tensor-handover.js) and nothing is
// read back to the CPU between them. This file decides whether a session does that and which device both use:
//   1. the caller's: gpuDevice (this package's option), the device of the instance passed as deformConv, or the
//      `device` of the 'webgpu' entry of executionProviders (all that are given must be the same device);
//      onnxruntime gets it through that entry (onnxruntime-web 1.30 takes a device there and nowhere else:
//      setting ort.env.webgpu.device has no effect on its native WebGPU execution provider);
//   2. otherwise onnxruntime's own: ort.env.webgpu.device, set when its first session on 'webgpu' is created
//      with its default device (made with the features and limits onnxruntime asks the adapter for);
//   3. otherwise (a model whose first step is a DeformConv, before any onnxruntime session) this package's own
//      device, which onnxruntime's later sessions then get through executionProviders.
// The device is never destroyed by the session unless this package made it (case 3, with the instance the
// session made itself, at release()).

/** The name of an execution provider entry ('webgpu', or { name: 'webgpu', ... }); null for anything else. */
export function providerName(ep) {
  if (typeof ep === 'string') return ep;
  return ep && typeof ep === 'object' && typeof ep.name === 'string' ? ep.name : null;
}

/**
 * Whether the session hands tensors over as GPU buffers: onnxruntime's first execution provider is 'webgpu' and
 * this package's backend is WebGPU (backend 'webgpu', or not given; 'auto' and 'wasm' keep the CPU hand-over,
 * and so does a caller's instance run through the proxy, whose device stays in its worker).
 * Returns null, or { device } (the caller's device, or null until one is known). Throws a TypeError for two
 * different devices.
 * ours: createDeformConv's options given to the session; deformConv: the caller's instance, or null.
 */
export function planSharedDevice(ortOptions, ours, deformConv) {
  const eps = Array.isArray(ortOptions.executionProviders) ? ortOptions.executionProviders : [];
  if (!eps.length || providerName(eps[0]) !== 'webgpu') return null;
  if (deformConv ? deformConv.backend !== 'webgpu' : ours.backend !== undefined && ours.backend !== 'webgpu') return null;
  // A caller's instance whose calls run in the proxy's Web Worker has no device on this thread to share.
  if (deformConv && !deformConv.gpuDevice) return null;
  const given = [];
  if (ours.gpuDevice) given.push(['gpuDevice', ours.gpuDevice]);
  if (deformConv && deformConv.gpuDevice) given.push(['the deformConv instance\'s device', deformConv.gpuDevice]);
  if (typeof eps[0] === 'object' && eps[0].device) given.push(["executionProviders[0].device (onnxruntime's)", eps[0].device]);
  const [first, ...rest] = given;
  for (const [name, device] of rest) {
    if (device !== first[1]) {
      throw new TypeError(`${first[0]} and ${name} are different GPUDevices; onnxruntime and deformconv-wasm must share one ` +
        'for tensors to stay on the GPU between them: give one device');
    }
  }
  return { device: first ? first[1] : null };
}

/** onnxruntime's options with the device in its 'webgpu' execution provider entry (options unchanged without one). */
export function withSharedDevice(ortOptions, device) {
  if (!device) return ortOptions;
  const executionProviders = ortOptions.executionProviders.map((ep) => {
    if (providerName(ep) !== 'webgpu') return ep;
    return typeof ep === 'string' ? { name: 'webgpu', device } : { ...ep, device };
  });
  return { ...ortOptions, executionProviders };
}

/**
 * onnxruntime's own device, after it created a session on 'webgpu' with its default device: ort.env.webgpu.device
 * (a GPUDevice, or a promise of one in older versions).
 */
export async function onnxruntimeDevice(ort) {
  const device = await (ort.env && ort.env.webgpu ? ort.env.webgpu.device : undefined);
  if (!device || typeof device.createBuffer !== 'function') {
    throw new Error("onnxruntime created a session on 'webgpu' but ort.env.webgpu.device holds no GPUDevice " +
      `(got ${device === undefined ? 'undefined' : typeof device}): pass one device to both as gpuDevice`);
  }
  return device;
}
