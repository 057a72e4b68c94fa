// What the page and the proxy's worker send each other (proxy-runner.js on the page, worker.js in the worker),
// and how tensors and errors cross. Messages are plain objects with a `type`:
//   page -> worker   create { options }                      the checked createDeformConv options to run with
//                    module-url { id, url } | { id, error }   where a WebAssembly module is (answer to the worker)
//                    call { id, op, call, layer }            a parsed call (calls.js); layer: a prepared layer's
//                                                            id (its weight and bias are in the worker) or null
//                    prepare { layer, description }          a prepared layer's description, tensors included
//                    release { layer }                       a prepared layer's dispose()
//   worker -> page   started                                 the worker's script runs
//                    module-url { id, build }                where is this build's module? (see worker.js)
//                    warn { message }                        for the page's console, once
//                    created { info } | create-failed { error }
//                    done { id, result, info } | failed { id, error, info }   info: the runner's, after the call
//                    fatal { message }                       the worker cannot go on (a message it could not read)
// Tensors go to the worker as copies made when the call is made, whose buffers are then transferred (one copy;
// see copyForWorker), and come back with the answer (done/failed `spent`) once the worker has read them, to be
// copied into again (SpareBuffers); results come back transferred (no copy). Errors cross as { kind, message }
// and are made again on the other side as the same class with the same message.

/** An error (or anything thrown) as it crosses: { kind: 'TypeError' | 'RangeError' | 'Error', message }. */
export function errorToMessage(error) {
  const kind = error instanceof TypeError ? 'TypeError' : error instanceof RangeError ? 'RangeError' : 'Error';
  return { kind, message: error instanceof Error ? error.message : String(error) };
}

/** The error of a message made by errorToMessage, of the same class and message. */
export function errorFromMessage({ kind, message }) {
  const Kind = kind === 'TypeError' ? TypeError : kind === 'RangeError' ? RangeError : Error;
  return new Kind(message);
}

/**
 * A copy of a tensor for the worker: its data copied now into a fresh Float32Array of exactly its length, whose
 * buffer the message then transfers. Not a structured clone of the caller's array: that would share memory
 * with the caller for data in a SharedArrayBuffer (the worker would read what the caller writes later, breaking
 * "a call reads its arrays before it returns its promise"), and copy the whole buffer for a small view of a
 * large one. Running out of memory for the copy is an Error, as for the WebAssembly heap.
 */
export function copyForWorker(tensor, name, spare = null) {
  if (!ArrayBuffer.isView(tensor.data)) {
    // calls.js lets only Float32Array data through; a tensor without data (a GPU-resident { gpuBuffer, shape })
    // must not become an empty array on the way.
    throw new TypeError(`${name} has no data to send to the proxy's worker (a GPU-resident tensor belongs to this ` +
      'thread\'s GPUDevice): create the instance with proxy: false to pass it');
  }
  let data;
  const buffer = spare && spare.take(tensor.data.byteLength);
  if (buffer) {
    data = new Float32Array(buffer);
    data.set(tensor.data);
  } else {
    try {
      data = new Float32Array(tensor.data);
    } catch (e) {
      throw new Error(`out of memory: could not copy ${name}.data (${tensor.data.byteLength} bytes) to send it to the proxy's worker: ${e && e.message}`);
    }
  }
  return { data, shape: tensor.shape.slice() };
}

/**
 * The buffers of earlier calls' tensors, back from the worker, for the copies of the next calls. A copy into
 * a fresh buffer also pays for its memory's first touch (a 9.4 MB copy took 10 ms here, in Chromium, against
 * about 1 ms into memory used before), and a model runs calls of the same shapes frame after frame. At most
 * maxBytes are kept, the most recently returned; a buffer is taken only for a tensor of exactly its size.
 */
export class SpareBuffers {
  constructor(maxBytes) {
    this.maxBytes = maxBytes;
    this.buffers = []; // oldest first
    this.bytes = 0;
  }

  /** A kept buffer of exactly byteLength bytes (taken out), or null. */
  take(byteLength) {
    for (let i = this.buffers.length - 1; i >= 0; i--) {
      if (this.buffers[i].byteLength === byteLength) {
        this.bytes -= byteLength;
        return this.buffers.splice(i, 1)[0];
      }
    }
    return null;
  }

  /** Keeps buffers the worker sent back, dropping the oldest beyond maxBytes. */
  give(buffers) {
    for (const buffer of buffers) {
      if (buffer.byteLength === 0 || buffer.byteLength > this.maxBytes) continue;
      this.buffers.push(buffer);
      this.bytes += buffer.byteLength;
    }
    while (this.bytes > this.maxBytes) this.bytes -= this.buffers.shift().byteLength;
  }

  clear() {
    this.buffers = [];
    this.bytes = 0;
  }
}

/**
 * The buffers to transfer with a result ({ data, shape }, or gradients keyed by name, some null), each once.
 * A result whose data is not the whole of an ArrayBuffer (a view, or a SharedArrayBuffer) is first made a fresh
 * copy, so that transferring it never takes more than the result, nor memory someone else uses.
 */
export function resultTransfer(result) {
  const tensors = 'data' in result ? [result] : Object.values(result).filter(Boolean);
  const transfer = new Set();
  for (const tensor of tensors) {
    const { data } = tensor;
    const whole = Object.prototype.toString.call(data.buffer) === '[object ArrayBuffer]' && data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength;
    if (!whole) tensor.data = new Float32Array(data);
    transfer.add(tensor.data.buffer);
  }
  return [...transfer];
}
