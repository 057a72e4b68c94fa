// A decoder of WebAssembly function bodies, instruction by instruction: every opcode with every immediate,
// so that a build step can find and change one instruction knowing exactly where each one starts and ends
// (scripts/finalize-relaxed-simd.mjs). Pipeline: module header -> sections -> the code section's function
// bodies -> their locals -> their instructions, each checked against the opcode tables below; the block
// nesting must close exactly at the end of each body.
//
// It knows WebAssembly 2.0 (the MVP with sign extension, saturating float-to-int, bulk memory, reference
// types, multi-value and fixed-width SIMD), the threads proposal's atomics, the final relaxed-SIMD opcodes,
// and, passed in `extraSimd`, opcodes a caller chooses to accept (the prototype f32x4.fma of Emscripten
// 3.1.6's toolchain). Anything else is an error naming the byte offset: a module this decoder cannot read
// entirely is not rewritten at all. The two encoders below serve the modules the benchmark and the tests
// write byte by byte.

/** n (a non-negative integer below 2^32) as an unsigned LEB128 of minimal length: for modules written by hand. */
export function unsignedLeb128(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A module section written by hand: its id, its size as an unsigned LEB128, its bytes. */
export const encodeSection = (id, bytes) => [id, ...unsignedLeb128(bytes.length), ...bytes];

/** A decoding error, with the byte offset in the module. */
export class WasmDecodeError extends Error {}

const fail = (offset, what) => {
  throw new WasmDecodeError(`${what} at byte ${offset} (0x${offset.toString(16)})`);
};

/** A cursor over the module's bytes with the LEB128 readers the binary format uses. */
class Reader {
  constructor(bytes, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  byte() {
    if (this.pos >= this.end) fail(this.pos, 'unexpected end of data');
    return this.bytes[this.pos++];
  }

  /** An unsigned LEB128 of at most `maxBits` bits (u32: 5 bytes at most). */
  unsigned(maxBits = 32) {
    const start = this.pos;
    let value = 0, shift = 0, b;
    do {
      if (shift >= 7 * Math.ceil(maxBits / 7)) fail(start, `LEB128 longer than ${Math.ceil(maxBits / 7)} bytes`);
      b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (value >= 2 ** maxBits) fail(start, `LEB128 value above ${maxBits} bits`);
    return value;
  }

  /** A signed LEB128 of at most `maxBits` bits, skipped (the walker needs its length, not its value). */
  skipSigned(maxBits) {
    const start = this.pos;
    let length = 0, b;
    do {
      if (++length > Math.ceil(maxBits / 7)) fail(start, `signed LEB128 longer than ${maxBits} bits`);
      b = this.byte();
    } while (b & 0x80);
  }

  /** A signed LEB128 of at most 33 bits (a block type), returned as a number. */
  signed33() {
    const start = this.pos;
    let value = 0, shift = 0, b;
    do {
      if (shift >= 35) fail(start, 'block type longer than 33 bits');
      b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return b & 0x40 ? value - 2 ** shift : value;
  }

  skip(n) {
    if (this.pos + n > this.end) fail(this.pos, `unexpected end of data (${n} bytes wanted)`);
    this.pos += n;
  }
}

// Immediate kinds. Each opcode table maps an opcode to the kind of its immediates.
const NONE = 'none', U32 = 'u32', MEMARG = 'memarg', MEMARG_LANE = 'memarg+lane', LANE = 'lane', BYTES16 = 'bytes16';

// The value types of WebAssembly 2.0: i32 i64 f32 f64 v128 funcref externref (one byte each).
const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function readValueType(r) {
  const start = r.pos;
  if (!VALUE_TYPES.has(r.byte())) fail(start, `unknown value type 0x${r.bytes[start].toString(16)}`);
}

function readMemarg(r) {
  const align = r.unsigned();
  if (align & 0x40) r.unsigned(); // multi-memory: a memory index follows the alignment
  r.unsigned(64); // offset (64 bits for memory64)
}

function range(from, to, kind, table = new Map()) {
  for (let op = from; op <= to; op++) table.set(op, kind);
  return table;
}

// Single-byte opcodes (MVP, sign extension, reference types) whose immediates follow a fixed pattern; the
// control instructions and the prefixes are handled in readInstruction.
const PLAIN = new Map([
  [0x00, NONE], [0x01, NONE], [0x0f, NONE], [0x1a, NONE], [0x1b, NONE], [0xd1, NONE], // unreachable nop return drop select ref.is_null
  [0x0c, U32], [0x0d, U32], [0x10, U32], // br br_if call
  [0x20, U32], [0x21, U32], [0x22, U32], [0x23, U32], [0x24, U32], [0x25, U32], [0x26, U32], // local.* global.* table.get/set
  [0xd2, U32], // ref.func
  [0x3f, U32], [0x40, U32], // memory.size memory.grow (memory index)
]);
range(0x28, 0x3e, MEMARG, PLAIN); // loads and stores
range(0x45, 0xc4, NONE, PLAIN); // comparisons, arithmetic, conversions, reinterpretations, sign extension

// 0xfc prefix: saturating truncation (0-7), bulk memory and table instructions (8-17): their index immediates.
const MISC_INDICES = new Map([
  ...range(0, 7, 0),
  [8, 2], [9, 1], [10, 2], [11, 1], // memory.init data mem, data.drop data, memory.copy mem mem, memory.fill mem
  [12, 2], [13, 1], [14, 2], [15, 1], [16, 1], [17, 1], // table.init elem table, elem.drop, table.copy, table.grow/size/fill
]);

// 0xfd prefix: fixed-width SIMD (final opcodes), then relaxed SIMD (final opcodes 0x100-0x113).
const SIMD = new Map();
range(0x00, 0x0b, MEMARG, SIMD); // v128.load, the extending loads, the splat loads, v128.store
SIMD.set(0x0c, BYTES16); // v128.const
SIMD.set(0x0d, BYTES16); // i8x16.shuffle (16 lane indices)
range(0x0e, 0x14, NONE, SIMD); // i8x16.swizzle, the splats
range(0x15, 0x22, LANE, SIMD); // extract_lane / replace_lane
range(0x23, 0x53, NONE, SIMD); // comparisons, v128 bitwise, any_true
range(0x54, 0x5b, MEMARG_LANE, SIMD); // load_lane / store_lane
range(0x5c, 0x5d, MEMARG, SIMD); // v128.load32_zero, v128.load64_zero
range(0x5e, 0xff, NONE, SIMD); // arithmetic and conversions...
// ...except the opcodes the SIMD proposal left unassigned (the 2021 relaxed-SIMD prototype borrowed them).
for (const op of [0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee]) {
  SIMD.delete(op);
}
range(0x100, 0x113, NONE, SIMD); // relaxed SIMD: swizzle, trunc, madd/nmadd, laneselect, min/max, q15mulr, dot

// 0xfe prefix: atomics (threads proposal).
const ATOMIC = new Map([[0x00, MEMARG], [0x01, MEMARG], [0x02, MEMARG], [0x03, 'fence']]);
range(0x10, 0x4e, MEMARG, ATOMIC);

/**
 * One decoded instruction (one object, refilled for each instruction: a module has hundreds of thousands).
 * prefix: null or 0xfc/0xfd/0xfe; opcode: the byte, or the LEB128 sub-opcode after a prefix;
 * opcodeStart/opcodeEnd: the opcode's own bytes (after the prefix byte); depth: the change of block nesting
 * (+1, -1 or 0); start/end: the whole instruction, immediates included; functionIndex: which body (the
 * module's own functions, imports not counted).
 */
class Instruction {
  set(prefix, opcode, opcodeStart, opcodeEnd, depth) {
    this.prefix = prefix;
    this.opcode = opcode;
    this.opcodeStart = opcodeStart;
    this.opcodeEnd = opcodeEnd;
    this.depth = depth;
    return this;
  }
}

/** Reads the instruction at r.pos into `ins`. */
function readInstruction(r, extraSimd, ins) {
  const start = r.pos;
  const op = r.byte();
  switch (op) {
    case 0x02: case 0x03: case 0x04: // block loop if
      r.signed33();
      return ins.set(null, op, start, start + 1, 1);
    case 0x05: // else
      return ins.set(null, op, start, start + 1, 0);
    case 0x0b: // end
      return ins.set(null, op, start, start + 1, -1);
    case 0x0e: { // br_table: a vector of labels, then the default label
      const n = r.unsigned();
      for (let i = 0; i <= n; i++) r.unsigned();
      return ins.set(null, op, start, start + 1, 0);
    }
    case 0x11: // call_indirect type table
      r.unsigned();
      r.unsigned();
      return ins.set(null, op, start, start + 1, 0);
    case 0x1c: { // select with types
      const n = r.unsigned();
      for (let i = 0; i < n; i++) readValueType(r);
      return ins.set(null, op, start, start + 1, 0);
    }
    case 0x41: r.skipSigned(32); return ins.set(null, op, start, start + 1, 0);
    case 0x42: r.skipSigned(64); return ins.set(null, op, start, start + 1, 0);
    case 0x43: r.skip(4); return ins.set(null, op, start, start + 1, 0);
    case 0x44: r.skip(8); return ins.set(null, op, start, start + 1, 0);
    case 0xd0: r.signed33(); return ins.set(null, op, start, start + 1, 0); // ref.null heaptype
    case 0xfc: case 0xfd: case 0xfe: {
      const opcodeStart = r.pos;
      const sub = r.unsigned();
      const opcodeEnd = r.pos;
      if (op === 0xfc) {
        if (!MISC_INDICES.has(sub)) fail(start, `unknown instruction 0xfc ${sub}`);
        for (let i = 0; i < MISC_INDICES.get(sub); i++) r.unsigned();
      } else {
        const kind = op === 0xfd ? (SIMD.get(sub) ?? extraSimd.get(sub)) : ATOMIC.get(sub);
        if (kind === undefined) fail(start, `unknown instruction 0x${op.toString(16)} 0x${sub.toString(16)}`);
        if (kind === MEMARG || kind === MEMARG_LANE) readMemarg(r);
        if (kind === MEMARG_LANE || kind === LANE || kind === 'fence') r.byte();
        if (kind === BYTES16) r.skip(16);
      }
      return ins.set(op, sub, opcodeStart, opcodeEnd, 0);
    }
    default: {
      const kind = PLAIN.get(op);
      if (kind === undefined) fail(start, `unknown instruction 0x${op.toString(16)}`);
      if (kind === U32) r.unsigned();
      if (kind === MEMARG) readMemarg(r);
      return ins.set(null, op, start, start + 1, 0);
    }
  }
}

/** The sections of a module: [{ id, start, end }] (start/end delimit the contents). */
export function sections(bytes) {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const b of magic) if (r.byte() !== b) fail(0, 'not a WebAssembly 1.0 binary (bad magic or version)');
  const out = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.unsigned();
    const start = r.pos;
    r.skip(size);
    out.push({ id, start, end: r.pos });
  }
  return out;
}

/**
 * Calls visit(instruction) for every instruction of every function body, in order (an Instruction, valid
 * during the call only). extraSimd: a Map of further 0xfd opcodes to accept (value 'none': no immediates).
 */
export function forEachInstruction(bytes, visit, { extraSimd = new Map() } = {}) {
  const code = sections(bytes).filter((s) => s.id === 10);
  if (code.length !== 1) fail(0, `expected one code section, found ${code.length}`);
  const r = new Reader(bytes, code[0].start, code[0].end);
  const count = r.unsigned();
  const ins = new Instruction();
  for (let f = 0; f < count; f++) {
    const size = r.unsigned();
    const bodyEnd = r.pos + size;
    if (bodyEnd > code[0].end) fail(r.pos, `function ${f} runs past the code section`);
    const body = new Reader(bytes, r.pos, bodyEnd);
    const groups = body.unsigned();
    for (let g = 0; g < groups; g++) {
      body.unsigned(); // count
      readValueType(body);
    }
    let depth = 1; // the body is a block that its final `end` closes
    while (depth > 0) {
      const start = body.pos;
      readInstruction(body, extraSimd, ins);
      depth += ins.depth;
      ins.start = start;
      ins.end = body.pos;
      ins.functionIndex = f;
      visit(ins);
    }
    if (body.pos !== bodyEnd) fail(body.pos, `function ${f}: its blocks close before the end of its body`);
    r.pos = bodyEnd;
  }
  if (r.pos !== code[0].end) fail(r.pos, 'data after the last function body');
}
