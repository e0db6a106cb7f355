import { decode, encode, rfc8949EncodeOptions } from 'cborg'
import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { decodePlainCanonical } from './fast-decode.js'

/**
 * Canonical bytes: deterministic CBOR (RFC 8949 §4.2: shortest integers and lengths, bytewise-sorted
 * map keys, smallest lossless floats, definite lengths, no tags, no undefined).
 */
export function encodeCanonical (value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions)
}

const STRICT_DECODE = {
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

/**
 * Decode untrusted bytes, then re-encode and byte-compare: whatever the decoder let through
 * (unsorted keys, long-form floats, a float where an integer belongs) is rejected here.
 * Never throws anything but {@link InvalidMessageError}.
 */
export function decodeCanonical (bytes: Uint8Array, maxBytes: number): unknown {
  if (!(bytes instanceof Uint8Array)) throw new InvalidMessageError('malformed', 'expected bytes')
  if (bytes.byteLength > maxBytes) {
    throw new InvalidMessageError('oversize', `message is ${bytes.byteLength} bytes, limit ${maxBytes}`)
  }
  // plain canonical shapes (every message body of this protocol, unless its payload or metadata holds
  // floats) are read and checked in one pass; anything else, good or bad, takes the strict path below
  const plain = decodePlainCanonical(bytes)
  if (plain !== undefined) return plain
  let value: unknown
  try {
    value = decode(bytes, STRICT_DECODE)
  } catch (err: any) {
    throw new InvalidMessageError('malformed', `not strict CBOR: ${String(err?.message ?? err)}`)
  }
  let again: Uint8Array
  try {
    // cborg's default options encode exactly as rfc8949EncodeOptions for maps whose keys are all
    // strings — the only maps a strict decode without `useMaps` yields (it refuses other keys):
    // both sort keys by encoded length, then bytewise. The default takes cborg's direct encoder,
    // about three times as fast, and this re-encode runs for every message received.
    again = encode(value)
  } catch (err: any) {
    throw new InvalidMessageError('non-canonical', `cannot re-encode: ${String(err?.message ?? err)}`)
  }
  if (!equals(again, bytes)) throw new InvalidMessageError('non-canonical', 'bytes are not the canonical encoding of their value')
  return value
}
