/**
 * Message ids: the SHA-256 of a canonical body, and their hex spelling as the public API shows it.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { InvalidMessageError } from '../errors.js'

/** Content id of a body: SHA-256 of its canonical bytes. Proposal, vote, close and ack ids are these. */
export function contentId (body: Uint8Array): Uint8Array {
  return sha256(body)
}

/** char codes of the two hex digits of every byte value */
const HEX_CODES = new Uint16Array(512)
for (let i = 0; i < 256; i++) {
  const digits = i.toString(16).padStart(2, '0')
  HEX_CODES[2 * i] = digits.charCodeAt(0)
  HEX_CODES[2 * i + 1] = digits.charCodeAt(1)
}
const ID_CODES = new Uint16Array(64)
const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Hex spelling of an id, as the public API shows it. Built in one `String.fromCharCode` call: a flat
 * string, where 32 concatenations would make a rope that every map lookup must flatten first
 * (ids are converted and looked up on hot paths; this is ~2.5× cheaper per convert + lookup).
 */
export function idToString (id: Uint8Array): string {
  const n = id.byteLength
  if (n > 1024) return Array.from(id, b => HEX_PAIRS[b] as string).join('')
  const codes = n === 32 ? ID_CODES : new Uint16Array(2 * n)
  for (let i = 0; i < n; i++) {
    const v = 2 * (id[i] as number)
    codes[2 * i] = HEX_CODES[v] as number
    codes[2 * i + 1] = HEX_CODES[v + 1] as number
  }
  return String.fromCharCode.apply(null, codes as unknown as number[])
}

const idKeys = new WeakMap<Uint8Array, string>()

/**
 * {@link idToString} remembered per id array: for ids inside opened messages (a vote's proposal, an
 * ack's close), which are never changed once decoded and are shared by every agent of one process
 * that receives the same buffer. Not for caller-owned arrays that may be reused.
 */
export function idKey (id: Uint8Array): string {
  let key = idKeys.get(id)
  if (key === undefined) {
    key = idToString(id)
    idKeys.set(id, key)
  }
  return key
}

/** Parse a hex id; throws `InvalidMessageError` if it is not 32 bytes of hex. */
export function idFromString (id: string): Uint8Array {
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) {
    throw new InvalidMessageError('malformed', `expected a 64-digit hex id, got ${String(id).slice(0, 80)}`)
  }
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16)
  return bytes
}
