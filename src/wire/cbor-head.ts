/**
 * The one reader of CBOR heads for the fast paths (the envelope split and the plain-body decoder): it
 * takes a head only in its shortest form, so what the fast paths accept is canonical by construction.
 */

/** A read position in a byte array, moved on by the readers. */
export interface Cursor { at: number }

/** CBOR major types the fast paths read. */
export const Major = {
  Unsigned: 0,
  Negative: 1,
  Bytes: 2,
  Text: 3,
  Array: 4,
  Map: 5,
  Simple: 7
} as const

/**
 * The argument of a head whose low five bits are `info`, read from `cursor.at` (just past the
 * initial byte), if it is in shortest form and within a safe integer; -1 otherwise (the cursor is
 * then of no further use).
 */
export function readArgument (bytes: Uint8Array, cursor: Cursor, info: number): number {
  if (info < 24) return info
  const at = cursor.at
  if (info === 24) {
    if (at + 1 > bytes.byteLength) return -1
    const n = bytes[at] as number
    cursor.at = at + 1
    return n < 24 ? -1 : n
  }
  if (info === 25) {
    if (at + 2 > bytes.byteLength) return -1
    const n = ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
    cursor.at = at + 2
    return n < 256 ? -1 : n
  }
  if (info === 26) {
    if (at + 4 > bytes.byteLength) return -1
    const n = (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
    cursor.at = at + 4
    return n < 65536 ? -1 : n
  }
  if (info === 27) {
    if (at + 8 > bytes.byteLength) return -1
    const high = (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
    const low = (bytes[at + 4] as number) * 0x1000000 + (((bytes[at + 5] as number) << 16) | ((bytes[at + 6] as number) << 8) | (bytes[at + 7] as number))
    cursor.at = at + 8
    // shortest form needs ≥ 2^32; safe integers stop below 2^53 − 1 (the very top is left to the strict path)
    if (high === 0 || high >= 0x1fffff) return -1
    return high * 0x100000000 + low
  }
  return -1
}

/**
 * The argument of the head at `cursor.at` if its major type is `major` (a length, for strings,
 * arrays and maps) and it is in shortest form; -1 otherwise.
 */
export function readHead (bytes: Uint8Array, cursor: Cursor, major: number): number {
  if (cursor.at >= bytes.byteLength) return -1
  const head = bytes[cursor.at++] as number
  if (head >> 5 !== major) return -1
  return readArgument(bytes, cursor, head & 0x1f)
}
