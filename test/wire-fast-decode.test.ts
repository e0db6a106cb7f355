/**
 * The plain-canonical fast path of the wire decoder (src/wire/fast-decode.ts) must never accept
 * anything the strict path (cborg strict decode, re-encode, byte compare) would not, and must return
 * the same value for what it accepts. Compared on arbitrary bytes, on canonical encodings of
 * arbitrary values, and on mutations of those.
 */
import { decode, encode, rfc8949EncodeOptions } from 'cborg'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodePlainCanonical } from '../src/wire/fast-decode.js'

const STRICT = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowUndefined: false,
  allowIndefinite: false,
  allowNaN: false,
  allowInfinity: false,
  allowBigInt: false,
  useMaps: false,
  tags: []
}

/** The strict path as it was before the fast path: the value, or undefined if it rejects. */
function strict (bytes: Uint8Array): { ok: boolean, value?: unknown } {
  try {
    const value = decode(bytes, STRICT)
    const again = encode(value, rfc8949EncodeOptions)
    if (again.byteLength !== bytes.byteLength || again.some((b, i) => b !== bytes[i])) return { ok: false }
    return { ok: true, value }
  } catch {
    return { ok: false }
  }
}

function agree (bytes: Uint8Array): void {
  const fast = decodePlainCanonical(bytes)
  if (fast === undefined) return
  const slow = strict(bytes)
  expect(slow.ok, `fast path accepted bytes the strict path rejects: ${Buffer.from(bytes).toString('hex')}`).toBe(true)
  expect(fast).toStrictEqual(slow.value)
}

const value: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  node: fc.oneof({ depthSize: 'small' },
    fc.string({ unit: 'binary' }), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.integer(), fc.maxSafeInteger(), fc.boolean(), fc.constant(null),
    fc.double(),
    fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 5 }))
})).node

function canonical (v: unknown): Uint8Array | undefined {
  try { return encode(v, rfc8949EncodeOptions) } catch { return undefined }
}

function mutate (bytes: Uint8Array, at: number, byte: number, kind: number): Uint8Array {
  if (bytes.length === 0) return bytes
  const i = at % bytes.length
  if (kind === 0) { const out = bytes.slice(); out[i] = byte; return out }
  if (kind === 1) return Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)])
  if (kind === 2) return Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)])
  return bytes.slice(0, i)
}

describe('plain canonical fast path', () => {
  it('accepts the canonical encoding of plain values and returns what the strict path returns', () => {
    fc.assert(fc.property(value, (v) => {
      const bytes = canonical(v)
      if (bytes !== undefined) agree(bytes)
    }), { numRuns: 3000 })
  })

  it('reads a typical vote body without the strict path', () => {
    const body = {
      type: 'vote',
      v: 1,
      ns: 'default',
      proposal: new Uint8Array(32).fill(7),
      voter: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
      choice: 'for',
      metadata: { note: 'héllo', n: -3, big: 2 ** 40, ok: true, none: null }
    }
    const bytes = encode(body, rfc8949EncodeOptions)
    expect(decodePlainCanonical(bytes)).toStrictEqual(strict(bytes).value)
  })

  it('leaves floats, byte-order marks, __proto__ keys and non-canonical forms to the strict path', () => {
    expect(decodePlainCanonical(encode({ x: 1.5 }, rfc8949EncodeOptions))).toBeUndefined()
    expect(decodePlainCanonical(encode('\uFEFFabc', rfc8949EncodeOptions))).toBeUndefined()
    expect(decodePlainCanonical(Uint8Array.from([0xa1, 0x69, ...new TextEncoder().encode('__proto__'), 0x01]))).toBeUndefined()
    expect(decodePlainCanonical(Uint8Array.from([0x18, 0x05]))).toBeUndefined() // 5 in a long head
    expect(decodePlainCanonical(Uint8Array.from([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02]))).toBeUndefined() // keys out of order
    expect(decodePlainCanonical(Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]))).toBeUndefined() // duplicate key
    expect(decodePlainCanonical(Uint8Array.from([0x62, 0xc3, 0x28]))).toBeUndefined() // invalid UTF-8
    expect(decodePlainCanonical(Uint8Array.from([0x01, 0x02]))).toBeUndefined() // trailing byte
  })

  it('never accepts what the strict path rejects: arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), agree), { numRuns: 5000 })
  })

  it('never accepts what the strict path rejects: mutated canonical encodings', () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 3 })
    fc.assert(fc.property(value, edits, (v, mutations) => {
      let bytes = canonical(v)
      if (bytes === undefined) return
      for (const [at, byte, kind] of mutations) bytes = mutate(bytes, at, byte, kind)
      agree(bytes)
    }), { numRuns: 5000 })
  })
})
