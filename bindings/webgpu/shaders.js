// The WGSL kernels beside this file (bundled as text by esbuild's text loader), each put together with the
// preludes it is compiled after, and what JS reads out of them: the field order of the Conv uniform struct
// (to pack uniforms), the size of a sampling plan entry, every kernel's bindings (to build its bind group
// layout and bind by name) and the shared constants it declares (constants.js). The WGSL files are thus the
// one place that says each of these.
import { KERNEL_CONSTANTS } from './constants.js';
import conv from './conv.wgsl';
import indexing from './indexing.wgsl';
import gather from './gather.wgsl';
import sampling from './sampling.wgsl';
import plan from './plan.wgsl';
import forward from './forward.wgsl';
import gradColumns from './grad_columns.wgsl';
import gradOffsetMask from './grad_offset_mask.wgsl';
import gradInput from './grad_input.wgsl';
import scan from './scan.wgsl';
import gradWeight from './grad_weight.wgsl';
import gradWeightReduce from './grad_weight_reduce.wgsl';
import gradBias from './grad_bias.wgsl';

// Each kernel: the preludes it is compiled after (conv.wgsl and indexing.wgsl always come first), then its own
// file.
const KERNELS = {
  plan: [sampling, plan],
  forward: [gather, forward],
  grad_columns: [gradColumns],
  grad_offset_mask: [sampling, gradOffsetMask],
  grad_input: [gradInput],
  scan: [scan],
  grad_weight: [gather, gradWeight],
  grad_weight_reduce: [gradWeightReduce],
  grad_bias: [gradBias],
};

/** The full WGSL source of a kernel: conv.wgsl, indexing.wgsl, its preludes, then the kernel file. */
export function kernelSource(name) {
  const parts = KERNELS[name];
  if (!parts) throw new Error(`internal error: no WGSL kernel named '${name}'`);
  return [conv, indexing, ...parts].join('\n');
}

/** The constants of constants.js that kernel `name` declares as overrides, as pipeline constants. */
export function sharedConstants(name) {
  const declared = new Set([...kernelSource(name).matchAll(/^override\s+(\w+)/gm)].map((m) => m[1]));
  return Object.fromEntries(Object.entries(KERNEL_CONSTANTS).filter(([key]) => declared.has(key)));
}

const BINDING = /@group\(0\)\s*@binding\((\d+)\)\s*var<(uniform|storage)(?:,\s*(read|read_write))?>\s*(\w+)/g;

/** [{ binding, name, type }] of a kernel, type as GPUBufferBindingType. */
export function kernelBindings(name) {
  const bindings = [];
  for (const m of KERNELS[name].at(-1).matchAll(BINDING)) {
    const type = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    bindings.push({ binding: Number(m[1]), name: m[4], type });
  }
  return bindings.sort((a, b) => a.binding - b.binding);
}

/** Field names of the Conv struct in conv.wgsl, in declaration order (every field is an i32). */
export const CONV_FIELDS = (() => {
  const body = /struct Conv\s*\{([^}]*)\}/.exec(conv)[1];
  return [...body.matchAll(/^\s*(\w+)\s*:\s*i32\s*,/gm)].map((m) => m[1]);
})();

// Sizes and alignments of the WGSL types a struct of conv.wgsl may hold (WGSL's memory layout rules).
const WGSL_TYPES = {
  i32: [4, 4], u32: [4, 4], f32: [4, 4],
  'vec2<i32>': [8, 8], 'vec2<u32>': [8, 8], 'vec2<f32>': [8, 8],
  'vec4<i32>': [16, 16], 'vec4<u32>': [16, 16], 'vec4<f32>': [16, 16],
};

/** Bytes of struct `name` of conv.wgsl, as WGSL lays it out in an array (fields aligned, size rounded up). */
function structBytes(name) {
  const body = new RegExp(`struct ${name}\\s*\\{([^}]*)\\}`).exec(conv)[1];
  let size = 0, align = 1;
  for (const [, field, type] of body.matchAll(/^\s*(\w+)\s*:\s*([\w<>]+)\s*,/gm)) {
    if (!WGSL_TYPES[type]) throw new Error(`internal error: ${name}.${field} has type ${type}, unknown to shaders.js`);
    const [bytes, fieldAlign] = WGSL_TYPES[type];
    size = Math.ceil(size / fieldAlign) * fieldAlign + bytes;
    align = Math.max(align, fieldAlign);
  }
  return Math.ceil(size / align) * align;
}

/** Bytes of one sampling plan entry (conv.wgsl's PlanEntry): what the plan buffers hold per sample. */
export const PLAN_ENTRY_BYTES = structBytes('PlanEntry');

/** Packs a Conv uniform; every field must be given (a missing one is a bug, not a zero). */
export function packConv(values) {
  const out = new Int32Array(Math.ceil(CONV_FIELDS.length / 4) * 4);
  CONV_FIELDS.forEach((field, i) => {
    const v = values[field];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new Error(`internal error: Conv.${field} must be a 32-bit integer, got ${v}`);
    }
    out[i] = v;
  });
  return out;
}
