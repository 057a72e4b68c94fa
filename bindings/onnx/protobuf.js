// The protobuf wire format, as much of it as reading an ONNX model and writing parts of it back needs.
// Reading keeps every field's byte range, so that what this package does not interpret (and fields that newer
// ONNX versions add) is written back byte for byte, and large tensors are never decoded or copied here: a
// partial model reuses the views into the original bytes. Every read is bounds-checked; a malformed or
// truncated message throws WireError, never reads outside its bytes, and never loops.

export class WireError extends Error {}

export const WIRE = { VARINT: 0, FIXED64: 1, BYTES: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 };

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** A 10-byte varint: an int64 whose top bit may be set, i.e. a negative number in two's complement. */
function tenByteVarint(b, start) {
  let v = 0n;
  for (let i = 9; i >= 0; i--) v = (v << 7n) | BigInt(b[start + i] & 0x7f);
  return Number(BigInt.asIntN(64, v));
}

/**
 * One field of a message: { field, wire, value, start, end, tagStart }. value: the number of a varint (int64
 * values beyond 2^53 come out rounded, and negative ones negative: callers treat both as out of range) or of a
 * fixed32/fixed64 (its low 32 bits, unsigned; for a float, use floatAt); for BYTES, start and end delimit
 * the payload. [tagStart, end) is the whole field as it was written.
 */
export class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  varint() {
    const b = this.bytes;
    const start = this.pos;
    let value = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`a varint runs past the end of its message (byte ${this.pos})`);
      const byte = b[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return i === 9 ? tenByteVarint(b, start) : value;
      scale *= 128;
    }
    throw new WireError(`a varint is longer than 10 bytes (byte ${this.pos})`);
  }

  /** The next field, or null at the end of the message. */
  next() {
    if (this.pos >= this.end) return null;
    const tagStart = this.pos;
    const tag = this.varint();
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (field < 1 || field > 536870911) throw new WireError(`field number ${field} is out of range (byte ${tagStart})`);
    let value = 0, start = this.pos;
    switch (wire) {
      case WIRE.VARINT:
        value = this.varint();
        break;
      case WIRE.FIXED64:
        this.skip(8);
        value = this.u32(start);
        break;
      case WIRE.FIXED32:
        this.skip(4);
        value = this.u32(start);
        break;
      case WIRE.BYTES: {
        const length = this.varint();
        if (length < 0 || length > this.end - this.pos) {
          throw new WireError(`field ${field} says it holds ${length} bytes, but ${this.end - this.pos} are left (byte ${tagStart})`);
        }
        start = this.pos;
        this.pos += length;
        break;
      }
      default:
        // Groups (wire types 3 and 4) are a proto2 feature that ONNX's schema never uses.
        throw new WireError(`field ${field} has wire type ${wire}, which ONNX does not use (byte ${tagStart})`);
    }
    return { field, wire, value, start, end: this.pos, tagStart };
  }

  skip(n) {
    if (n > this.end - this.pos) throw new WireError(`a fixed-size value runs past the end of its message (byte ${this.pos})`);
    this.pos += n;
  }

  u32(at) {
    const b = this.bytes;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }
}

/** Every field of the message in bytes[start, end), in order. */
export function readFields(bytes, start = 0, end = bytes.length) {
  const reader = new Reader(bytes, start, end);
  const fields = [];
  for (let f = reader.next(); f; f = reader.next()) fields.push(f);
  return fields;
}

export function stringOf(bytes, f) {
  if (f.wire !== WIRE.BYTES) throw new WireError(`field ${f.field} should be a string, but has wire type ${f.wire}`);
  return utf8.decode(bytes.subarray(f.start, f.end));
}

/** A varint field's value (int32/int64/enum); throws if the field is not a varint. */
export function intOf(f) {
  if (f.wire !== WIRE.VARINT) throw new WireError(`field ${f.field} should be an integer, but has wire type ${f.wire}`);
  return f.value;
}

/** A repeated integer field, packed (one BYTES field) or not (one VARINT per value); appends to `into`. */
export function appendInts(bytes, f, into) {
  if (f.wire === WIRE.VARINT) {
    into.push(f.value);
  } else if (f.wire === WIRE.BYTES) {
    const reader = new Reader(bytes, f.start, f.end);
    while (reader.pos < reader.end) into.push(reader.varint());
  } else {
    throw new WireError(`field ${f.field} should hold integers, but has wire type ${f.wire}`);
  }
  return into;
}

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
function floatAt(bytes, at) {
  for (let i = 0; i < 4; i++) f32Bytes[i] = bytes[at + i];
  return f32[0];
}

/** A repeated float field, packed or not; appends to `into`. */
export function appendFloats(bytes, f, into) {
  if (f.wire === WIRE.FIXED32) {
    into.push(floatAt(bytes, f.start));
  } else if (f.wire === WIRE.BYTES) {
    if ((f.end - f.start) % 4) throw new WireError(`field ${f.field} holds ${f.end - f.start} bytes of packed floats, not a multiple of 4`);
    for (let at = f.start; at < f.end; at += 4) into.push(floatAt(bytes, at));
  } else {
    throw new WireError(`field ${f.field} should hold floats, but has wire type ${f.wire}`);
  }
  return into;
}

/** One float field (fixed32). */
export function floatOf(bytes, f) {
  if (f.wire !== WIRE.FIXED32) throw new WireError(`field ${f.field} should be a float, but has wire type ${f.wire}`);
  return floatAt(bytes, f.start);
}

// ---------------------------------------------------------------- writing

/**
 * Builds a message as a list of byte chunks (views into existing bytes are kept as they are, not copied) and
 * joins them once, in finish().
 */
export class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }

  /** Bytes already encoded (a field as it was read, [tagStart, end), or a finished message). */
  raw(bytes) {
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  varint(n) {
    if (!Number.isSafeInteger(n)) throw new RangeError(`cannot write ${n} as a protobuf integer`);
    const out = [];
    if (n < 0) {
      // int64 two's complement: always 10 bytes.
      let v = BigInt.asUintN(64, BigInt(n));
      for (let i = 0; i < 10; i++) {
        const byte = Number(v & 0x7fn);
        v >>= 7n;
        out.push(v ? byte | 0x80 : byte);
      }
    } else {
      while (n >= 0x80) {
        out.push((n % 128) | 0x80);
        n = Math.floor(n / 128);
      }
      out.push(n);
    }
    return this.raw(Uint8Array.from(out));
  }

  tag(field, wire) {
    return this.varint(field * 8 + wire);
  }

  intField(field, n) {
    return this.tag(field, WIRE.VARINT).varint(n);
  }

  bytesField(field, bytes) {
    return this.tag(field, WIRE.BYTES).varint(bytes.length).raw(bytes);
  }

  stringField(field, text) {
    return this.bytesField(field, utf8Encoder.encode(text));
  }

  /** A nested message, given as a Writer. */
  messageField(field, writer) {
    this.tag(field, WIRE.BYTES).varint(writer.length);
    for (const part of writer.parts) this.raw(part);
    return this;
  }

  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}
