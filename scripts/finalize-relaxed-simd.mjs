// The last step of the relaxed-SIMD builds (CMakeLists.txt runs it on each deformconv-*-relaxed-*.wasm after
// emcc has linked it): rewrites every f32x4.fma of the 2021 relaxed-SIMD prototype into the final
// f32x4.relaxed_madd, which is what engines accept (Chromium 114+, Firefox 145+, Node.js 22+).
//
// Why a rewrite (docs/relaxed-simd.md has the whole story): Debian's Emscripten 3.1.6 compiles with clang 14,
// which knows fused multiply-add only as the prototype instruction `f32x4.fma` (0xfd 0xaf 0x01), and its
// post-link step (binaryen 108) knows only that one too; the final opcode (0xfd 0x85 0x02) came with LLVM 16
// and binaryen 110. Engines now reject the prototype encoding. Both are a 0xfd prefix and a 2-byte LEB128,
// take three v128 operands from the stack and leave one, so changing the opcode changes no size, no offset
// and no type: the module stays valid with nothing else touched.
//
// Same meaning, operand for operand: clang 14 pushes __builtin_wasm_fma_f32x4(a, b, c)'s arguments in
// order (a, b, c), and relaxed_madd computes a * b + c from them, fused or not (the proposal lets an engine
// do either), which is the order src/kernels/f32_madd.h calls the builtin in. (Binaryen 108 itself read the
// prototype as a + b * c; that reading only matters to its constant folding, which needs all three operands
// constant, and the kernels' operands are loads and accumulators, never constants.)
//
// How: scripts/wasm-instructions.mjs decodes every instruction of every function body with its immediates
// (never a byte search, which could hit a constant, an offset or an immediate that looks alike). Only the
// prototype f32x4.fma is accepted and rewritten; any other prototype opcode, or anything the decoder does
// not know, stops the build. Running it again on its own output changes nothing (it finds the final opcodes).
//
// Usage: node scripts/finalize-relaxed-simd.mjs <module.wasm>...   (rewrites in place)
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { forEachInstruction } from './wasm-instructions.mjs';

/** The prototype's opcode (LLVM 14, binaryen 108) and the final one, both after the 0xfd prefix. */
export const PROTOTYPE_F32X4_FMA = 0xaf;
export const F32X4_RELAXED_MADD = 0x105;

/**
 * Rewrites a module's prototype f32x4.fma instructions into f32x4.relaxed_madd. Returns
 * { bytes (a new Uint8Array), rewritten (how many were changed), madd (relaxed_madd instructions in the
 * result) }. Throws a WasmDecodeError (or an Error) for a module it cannot fully decode.
 */
export function finalizeRelaxedMadd(input) {
  const bytes = Uint8Array.from(input);
  let rewritten = 0, madd = 0;
  const extraSimd = new Map([[PROTOTYPE_F32X4_FMA, 'none']]);
  forEachInstruction(bytes, (ins) => {
    if (ins.prefix !== 0xfd) return;
    if (ins.opcode === F32X4_RELAXED_MADD) madd++;
    if (ins.opcode !== PROTOTYPE_F32X4_FMA) return;
    writePaddedLeb(bytes, ins.opcodeStart, ins.opcodeEnd, F32X4_RELAXED_MADD);
    rewritten++;
    madd++;
  }, { extraSimd });
  // The result must decode without the prototype opcode; any other relaxed opcode in it was already final.
  forEachInstruction(bytes, () => {});
  return { bytes, rewritten, madd };
}

/** Writes `value` as an unsigned LEB128 filling exactly bytes [start, end) (padded with continuation bytes). */
function writePaddedLeb(bytes, start, end, value) {
  const length = end - start;
  if (value >= 2 ** (7 * length)) throw new Error(`opcode 0x${value.toString(16)} does not fit in ${length} LEB128 bytes at byte ${start}`);
  for (let i = 0; i < length; i++) {
    bytes[start + i] = (value & 0x7f) | (i < length - 1 ? 0x80 : 0);
    value >>>= 7;
  }
}

function main(files) {
  if (!files.length) {
    console.error('usage: node scripts/finalize-relaxed-simd.mjs <module.wasm>...');
    process.exit(2);
  }
  for (const file of files) {
    const { bytes, rewritten, madd } = finalizeRelaxedMadd(readFileSync(file));
    // A relaxed build without a single fused multiply-add means the kernels were compiled the plain way.
    if (madd === 0) throw new Error(`${file}: no f32x4.fma or f32x4.relaxed_madd found; was it compiled with -mrelaxed-simd?`);
    if (rewritten) {
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
    }
    console.log(`${file}: ${rewritten} f32x4.fma (prototype) rewritten to f32x4.relaxed_madd; ${madd} relaxed_madd in all`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
