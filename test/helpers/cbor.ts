/**
 * A tiny hand-written CBOR encoder for tests that need bytes the library's canonical encoder would
 * never produce: every head, length and float width is explicit, so each input breaks exactly the
 * rule of RFC 8949 §4.2 (deterministic encoding) it means to. Used by test/wire.test.ts and the
 * adversarial corpus (test/helpers/corpus/).
 */
import { encodeCanonical } from '../../src/wire/codec.js'
import { compareBytes } from '../../src/wire/messages.js'

/** Raw bytes. */
export type Bytes = Uint8Array

/** How many bytes follow a head's first byte: 0 (the argument inline), 1, 2, 4 or 8. */
export type Width = 0 | 1 | 2 | 4 | 8

/** Shared UTF-8 encoder. */
export const te = new TextEncoder()

/** Concatenate byte strings (and plain byte lists). */
export function cat (...parts: Array<Bytes | number[]>): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** A CBOR head; `width` forces the argument into 0 (inline), 1, 2, 4 or 8 extra bytes (default: the shortest). */
export function head (major: number, n: number, width?: Width): Bytes {
  const w = width ?? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x100000000 ? 4 : 8)
  const m = major << 5
  if (w === 0) return new Uint8Array([m | n])
  const out = new Uint8Array(1 + w)
  out[0] = m | { 1: 24, 2: 25, 4: 26, 8: 27 }[w]
  let v = BigInt(n)
  for (let i = w; i >= 1; i--) { out[i] = Number(v & 0xffn); v >>= 8n }
  return out
}

/** CBOR items by hand: definite and indefinite lengths, tags, floats of every width, simple values. */
export const cbor = {
  uint: (n: number, w?: Width) => head(0, n, w),
  neg: (n: number, w?: Width) => head(1, -1 - n, w),
  text: (s: string, w?: Width) => { const b = te.encode(s); return cat(head(3, b.length, w), b) },
  bytes: (b: Bytes, w?: Width) => cat(head(2, b.length, w), b),
  array: (items: Bytes[], w?: Width) => cat(head(4, items.length, w), ...items),
  map: (entries: Array<[Bytes, Bytes]>, w?: Width) => cat(head(5, entries.length, w), ...entries.flat()),
  tag: (tag: number, item: Bytes) => cat(head(6, tag), item),
  indefArray: (items: Bytes[]) => cat([0x9f], ...items, [0xff]),
  indefMap: (entries: Array<[Bytes, Bytes]>) => cat([0xbf], ...entries.flat(), [0xff]),
  indefText: (chunks: string[]) => cat([0x7f], ...chunks.map(c => cbor.text(c)), [0xff]),
  indefBytes: (chunks: Bytes[]) => cat([0x5f], ...chunks.map(c => cbor.bytes(c)), [0xff]),
  /** a half-precision float from its 16 bits (0x3c00 is 1.0, 0x7e00 NaN) */
  f16: (bits: number) => new Uint8Array([0xf9, bits >> 8, bits & 0xff]),
  f32: (x: number) => { const b = new Uint8Array(5); b[0] = 0xfa; new DataView(b.buffer).setFloat32(1, x); return b },
  f64: (x: number) => { const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, x); return b },
  undef: () => new Uint8Array([0xf7]),
  simple: (n: number) => new Uint8Array([0xe0 | n])
}

/** The entries of a body as canonical [key, value] byte pairs in canonical (bytewise key) order. */
export function entriesOf (body: object): Array<[Bytes, Bytes]> {
  return Object.entries(body)
    .map(([k, v]) => [encodeCanonical(k), encodeCanonical(v)] as [Bytes, Bytes])
    .sort((a, b) => compareBytes(a[0], b[0]))
}

/** Replace the value of `key` in canonical entries with raw bytes; throws if there is no such key. */
export function withValue (entries: Array<[Bytes, Bytes]>, key: string, value: Bytes): Array<[Bytes, Bytes]> {
  const k = encodeCanonical(key)
  let found = false
  const out = entries.map(([ek, ev]) => {
    if (compareBytes(ek, k) === 0) { found = true; return [ek, value] as [Bytes, Bytes] }
    return [ek, ev] as [Bytes, Bytes]
  })
  if (!found) throw new Error(`no key ${key}`)
  return out
}
