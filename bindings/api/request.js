// One call as a backend runs it: the request. A call's arguments are parsed and checked once, in this order,
// the first failure being the error: their kinds and option names (calls.js, tensors.js), the shapes and
// parameters by the core's validator (the WebAssembly module's, whichever backend runs the call), whether
// the call fits in WebAssembly memory (only for a call that runs there), then the data lengths. What comes
// out is a plain object that the backends read and never parse again:
//   op                 'forward' | 'backward'
//   convention         'torchvision' | 'mindspore'
//   dataFormat         'NCHW' | 'NHWC'
//   params             every size of the call, from the validator (embind_request.h, params_object)
//   outputShape        the output's shape in the call's data format; outputElements its element count
//   packedWeightBytes  (forward calls validated by a full WebAssembly module) bytes of the weights packed for
//                      the GEMM, for prepared layers
//   output             (forward) where the result goes: 'cpu' ({ data, shape }) or 'gpu-buffer' (WebGPU only)
//   tensors            { input, offset, mask, weight, bias, gradOutput }: { data, shape }, or GPU-resident
//                      { gpuBuffer, shape, name } (WebGPU only: webgpu/resident-tensors.js checks them on the
//                      device), null when absent
//   names              what each tensor is called in the caller's convention, for messages
//   validated          the core's own record of the validated call (an embind ValidatedCall of the module that
//                      validated it): the WebAssembly backend runs that, so the core reads the arguments once;
//                      releaseRequest() frees it when the call is done
import { checkElementCount, copyOfTensor, isGpuTensor } from './tensors.js';

/**
 * The request for a call described by calls.js. validator: the instance's CoreValidator
 * (bindings/wasm/validator.js). memory: the WebAssembly backend that will run the call, whose memory limit it
 * must fit, or null when it runs on WebGPU.
 */
export function makeRequest(op, { convention, args, tensors, names, output = 'cpu' }, validator, memory) {
  const answer = validator.validate(args);
  try {
    if (memory) memory.checkMemory(answer.call);
    for (const name of Object.keys(tensors)) if (tensors[name]) checkElementCount(tensors[name], names[name]);
  } catch (error) {
    answer.call.delete();
    throw error;
  }
  return {
    op,
    output,
    convention,
    dataFormat: answer.params.dataFormat,
    params: answer.params,
    outputShape: answer.outputShape,
    outputElements: answer.outputElements,
    packedWeightBytes: answer.packedWeightBytes,
    tensors,
    names,
    validated: answer.call,
  };
}

/** Frees what the request holds in the WebAssembly module; a second release does nothing. */
export function releaseRequest(request) {
  if (request.validated) request.validated.delete();
  request.validated = null;
}

/**
 * The request with copies of its tensors, made before the call returns its promise, for a backend that reads
 * them later: the GPU reads the tensors after the calls in front of this one and after its pipelines compile,
 * by which time the caller may have changed, transferred (detached) or shrunk its arrays; the WebAssembly
 * backend copies them into its heap at once. With the copies a WebGPU call, and its WebAssembly fallback,
 * computes what the arrays held when it was made. They are also unshared: Dawn's writeBuffer takes no
 * SharedArrayBuffer. keep: tensors that are the instance's own copies already (a prepared layer's weights).
 */
export function withCopiedTensors(request, keep = []) {
  const tensors = {};
  for (const name of Object.keys(request.tensors)) {
    tensors[name] = keep.includes(name) ? request.tensors[name] : copyOfTensor(request.tensors[name], request.names[name]);
  }
  return { ...request, tensors };
}

/**
 * What of a parsed call (calls.js) lives on the GPU: the names of its GPU-resident tensors (in the caller's
 * words) and whether its output is to stay there; null when nothing does.
 */
export function gpuResidentParts({ tensors, names, output = 'cpu' }) {
  const resident = Object.keys(tensors).filter((key) => isGpuTensor(tensors[key])).map((key) => names[key]);
  return resident.length || output === 'gpu-buffer' ? { tensors: resident, output: output === 'gpu-buffer' } : null;
}
