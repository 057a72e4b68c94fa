// Hand-assembled WebAssembly modules for the relaxed-SIMD toolchain checks (toolchain-checks.mjs under
// Node.js 20, node-runner.mjs under Node.js 26): each is written out byte by byte, its text form beside it,
// so that what scripts/finalize-relaxed-simd.mjs must change, and must leave alone, is known exactly.

import { encodeSection as section, unsignedLeb128 as leb } from '../../scripts/wasm-instructions.mjs';

const name = (s) => [...leb(s.length), ...new TextEncoder().encode(s)];

// 0xfd-prefixed opcodes, as the byte sequences of the instruction (prefix and LEB128 opcode).
export const OPCODE = {
  prototypeFma: [0xfd, 0xaf, 0x01], // f32x4.fma, the 2021 relaxed-SIMD prototype (clang 14, binaryen 108)
  prototypeFmaPadded: [0xfd, 0xaf, 0x81, 0x00], // the same opcode as a 3-byte LEB128 (valid, not minimal)
  relaxedMadd: [0xfd, 0x85, 0x02], // f32x4.relaxed_madd, final (0x105)
  prototypeFms: [0xfd, 0xb0, 0x01], // f32x4.fms, prototype: not translated (its operand order differs)
  unassigned: [0xfd, 0x9a, 0x01], // no SIMD instruction has this opcode
};

// (module (func (param v128) (result v128) local.get 0 local.get 0 local.get 0 f32x4.relaxed_madd)): the
// package's feature probe, byte for byte as bindings/api/feature-detect.js writes it.
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0,
  253, 133, 2, 11,
]);

/**
 * (module (memory (export "memory") 1)
 *   (func (export "run") (param $p i32)
 *     (v128.store offset=48 (local.get $p)
 *       (OP (v128.load (local.get $p)) (v128.load offset=16 (local.get $p)) (v128.load offset=32 (local.get $p)))))
 *   ;; and, where lookalikes: (func (export "lookalike") (result i32) i32.const 22525 ...)
 *   (data (i32.const 64) "\fd\af\01"))
 * OP is the three-operand instruction given as bytes. With lookalikes, the module also holds the bytes of the
 * prototype f32x4.fma where they are not an instruction: as the LEB128 of i32.const 22525 (fd af 01), inside
 * a v128.const, and in a data segment.
 */
export function ternaryModule(op, { lookalikes = false } = {}) {
  const load = (offset) => [0x20, 0, 0xfd, 0x00, 4, offset];
  const run = [0, 0x20, 0, ...load(0), ...load(16), ...load(32), ...op, 0xfd, 0x0b, 4, 48, 0x0b];
  // (func (result i32) (drop (v128.const i8x16 0xfd 0xaf 0x01 0 ...)) (i32.const 22525))
  const lookalike = [0, 0xfd, 0x0c, 0xfd, 0xaf, 0x01, ...new Array(13).fill(0), 0x1a, 0x41, 0xfd, 0xaf, 0x01, 0x0b];
  const types = [2, 0x60, 1, 0x7f, 0, 0x60, 0, 1, 0x7f]; // 0: (i32) -> (), 1: () -> i32
  const bodies = lookalikes ? [run, lookalike] : [run];
  const exports = [[...name('memory'), 2, 0], [...name('run'), 0, 0]];
  if (lookalikes) exports.push([...name('lookalike'), 0, 1]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, lookalikes ? [2, 0, 1] : [1, 0]),
    ...section(5, [1, 0, 1]), // one memory, 1 page
    ...section(7, [exports.length, ...exports.flat()]),
    ...section(10, [bodies.length, ...bodies.flatMap((b) => [...leb(b.length), ...b])]),
    // data: (i32.const 64) (0xc0 0x00: 64 as a signed LEB128) "\fd\af\01"
    ...(lookalikes ? section(11, [1, 0, 0x41, 0xc0, 0x00, 0x0b, 3, 0xfd, 0xaf, 0x01]) : []),
  ]);
}

/**
 * Runs a ternaryModule's run(): writes a, b, c (4 floats each) to memory, returns the 4 floats it stored.
 * Needs an engine that accepts the module's instruction (relaxed_madd: Node.js 22+).
 */
export async function runTernary(bytes, a, b, c) {
  const { instance } = await WebAssembly.instantiate(bytes);
  const memory = new Float32Array(instance.exports.memory.buffer);
  memory.set([...a, ...b, ...c], 0);
  instance.exports.run(0);
  return Array.from(memory.subarray(12, 16));
}
