/**
 * A fast path in front of {@link decodeCanonical} for the plain shapes message bodies take: maps with
 * text keys, text and byte strings, safe integers, arrays, booleans and null. It reads only what is
 * canonical *by construction* — every head in its shortest form, map keys in the encoder's order
 * (encoded length, then bytewise) and so without duplicates, text that is valid UTF-8 (no leading
 * byte-order mark, which the general decoder would drop), nothing after the last item — so that
 * re-encoding what it returns would give back the same bytes, and it skips that re-encode. Anything
 * else (floats, tags, undefined, indefinite lengths, big integers, a `__proto__` key, deep nesting, a
 * non-canonical or malformed byte anywhere) returns `undefined` and the caller takes the strict path,
 * which accepts or rejects it exactly as it would without this reader. Heads are read by `cbor-head.ts`.
 *
 * For every input this reader accepts, the strict path returns an equal value (test/wire.test.ts
 * compares both on the fuzzed corpus); it never rejects anything itself.
 */
import { Major, readArgument, readHead, type Cursor } from './cbor-head.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const MAX_DEPTH = 32
/** what the reader hands back for "not mine": the strict path decides */
const NOT_MINE = Symbol('not mine')

/** Decode `bytes` if it is one plain canonical item; `undefined` sends the caller to the strict path. */
export function decodePlainCanonical (bytes: Uint8Array): unknown {
  const cursor: Cursor = { at: 0 }
  let value: unknown
  try {
    value = item(bytes, cursor, 0)
  } catch {
    return undefined
  }
  if (value === NOT_MINE || cursor.at !== bytes.byteLength) return undefined
  return value
}

function text (bytes: Uint8Array, start: number, end: number): string | typeof NOT_MINE {
  let ascii = end - start <= 16
  for (let i = start; ascii && i < end; i++) {
    if ((bytes[i] as number) >= 0x80) ascii = false
  }
  if (ascii) {
    // short ASCII (map keys, types, choices): cheaper than a TextDecoder call
    let s = ''
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number)
    return s
  }
  // a leading byte-order mark is dropped by the general decoder: not canonical, let it say so
  if (bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) return NOT_MINE
  return utf8.decode(bytes.subarray(start, end)) // throws on invalid UTF-8: the strict path decides
}

/** Whether text key bytes a..b come strictly before c..d in canonical order (length, then bytes). */
function keyBefore (bytes: Uint8Array, a: number, b: number, c: number, d: number): boolean {
  if (b - a !== d - c) return b - a < d - c
  for (let i = 0; i < b - a; i++) {
    const x = bytes[a + i] as number
    const y = bytes[c + i] as number
    if (x !== y) return x < y
  }
  return false // equal: a duplicate key
}

function item (bytes: Uint8Array, cursor: Cursor, depth: number): unknown {
  if (cursor.at >= bytes.byteLength || depth > MAX_DEPTH) return NOT_MINE
  const head = bytes[cursor.at++] as number
  const major = head >> 5
  const info = head & 0x1f
  switch (major) {
    case 0: {
      const n = readArgument(bytes, cursor, info)
      return n < 0 ? NOT_MINE : n
    }
    case 1: {
      const n = readArgument(bytes, cursor, info)
      return n < 0 ? NOT_MINE : -1 - n
    }
    case 2: {
      const n = readArgument(bytes, cursor, info)
      if (n < 0 || cursor.at + n > bytes.byteLength) return NOT_MINE
      // a copy, and a plain Uint8Array even if `bytes` is a Node Buffer (whose slice is a view), as cborg does
      const value = new Uint8Array(bytes.subarray(cursor.at, cursor.at + n))
      cursor.at += n
      return value
    }
    case 3: {
      const n = readArgument(bytes, cursor, info)
      if (n < 0 || cursor.at + n > bytes.byteLength) return NOT_MINE
      const value = text(bytes, cursor.at, cursor.at + n)
      cursor.at += n
      return value
    }
    case 4: {
      const n = readArgument(bytes, cursor, info)
      if (n < 0 || n > bytes.byteLength - cursor.at) return NOT_MINE
      const list: unknown[] = []
      for (let i = 0; i < n; i++) {
        const value = item(bytes, cursor, depth + 1)
        if (value === NOT_MINE) return NOT_MINE
        list.push(value)
      }
      return list
    }
    case 5: {
      const n = readArgument(bytes, cursor, info)
      if (n < 0 || 2 * n > bytes.byteLength - cursor.at) return NOT_MINE
      const map: Record<string, unknown> = {}
      let lastStart = -1
      let lastEnd = -1
      for (let i = 0; i < n; i++) {
        const length = readHead(bytes, cursor, Major.Text)
        if (length < 0 || cursor.at + length > bytes.byteLength) return NOT_MINE
        const start = cursor.at
        const end = start + length
        if (lastStart >= 0 && !keyBefore(bytes, lastStart, lastEnd, start, end)) return NOT_MINE
        const key = text(bytes, start, end)
        if (key === NOT_MINE || key === '__proto__') return NOT_MINE
        cursor.at = end
        lastStart = start
        lastEnd = end
        const value = item(bytes, cursor, depth + 1)
        if (value === NOT_MINE) return NOT_MINE
        map[key] = value
      }
      return map
    }
    case 7:
      if (head === 0xf4) return false
      if (head === 0xf5) return true
      if (head === 0xf6) return null
      return NOT_MINE
    default:
      return NOT_MINE
  }
}
