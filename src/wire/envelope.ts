import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { Major, readHead, type Cursor } from './cbor-head.js'
import { decodeCanonical, encodeCanonical } from './codec.js'
import { defaultDecodeLimits, type DecodeLimits } from './limits.js'
import {
  parseBody, signerOf,
  type AckBody, type CloseBody, type MessageBody, type PresenceBody, type ProposalBody, type SignedBody, type VoteBody, type WantBody
} from './messages.js'
import { contentId, idToString } from './ids.js'
import { signBody, type Identity } from './identity.js'
import { verifySignature } from './verify.js'

/**
 * A message that passed every check: decoded under limits, canonical, schema-valid and (for signed
 * types) signed by the peer its body names. `bytes` is the exact envelope to relay or store.
 */
export interface Opened<B extends MessageBody = MessageBody> {
  body: B
  /** SHA-256 of the canonical body: the message's content id */
  id: Uint8Array
  /** hex of `id` */
  key: string
  /** the whole envelope as received or sealed */
  bytes: Uint8Array
}

export type OpenedProposal = Opened<ProposalBody>
export type OpenedVote = Opened<VoteBody>
export type OpenedClose = Opened<CloseBody>
export type OpenedAck = Opened<AckBody>
export type OpenedWant = Opened<WantBody>
export type OpenedPresence = Opened<PresenceBody>

/** Any opened message, discriminated by `body.type`. */
export type AnyOpened = OpenedProposal | OpenedVote | OpenedClose | OpenedAck | OpenedWant | OpenedPresence

const SMALL_TYPES = new Set(['vote', 'ack', 'want', 'presence'])

/**
 * Wire envelope: the canonical CBOR array `[body bytes, signature]` (`[body bytes]` for want).
 * Signing the body's bytes rather than a re-encoding of parsed values means what is verified is
 * exactly what arrived.
 */
export async function sealMessage <B extends SignedBody> (identity: Identity, body: B): Promise<Opened<B>> {
  if (signerOf(body) !== identity.peerId) {
    throw new InvalidMessageError('bad-signer', `${body.type} must be signed by ${signerOf(body)}, not ${identity.peerId}`)
  }
  const bodyBytes = encodeCanonical(body)
  const signature = await signBody(identity, body.type, bodyBytes)
  const id = contentId(bodyBytes)
  // a copy of its own: in Node, cborg's output is a view of a shared 64 KB Buffer-pool slab, which a
  // held message would otherwise keep alive (measured: closed proposals pinned a slab per ~30)
  return { body, id, key: idToString(id), bytes: new Uint8Array(encodeCanonical([bodyBytes, signature])) }
}

/**
 * The exact size in bytes of `body` once sealed, without signing it: an Ed25519 signature is always
 * 64 bytes, so a placeholder of that length gives the envelope's length.
 */
export function sealedSize (body: SignedBody): number {
  return encodeCanonical([encodeCanonical(body), new Uint8Array(64)]).byteLength
}

/** Wrap an unsigned want. */
export function sealWant (body: WantBody): OpenedWant {
  const bodyBytes = encodeCanonical(body)
  const id = contentId(bodyBytes)
  return { body, id, key: idToString(id), bytes: encodeCanonical([bodyBytes]) }
}

/**
 * A message decoded and schema-checked, its signature not yet verified: enough to learn its type
 * and author cheaply (to apply rate limits) before paying for a signature check.
 */
export interface DecodedMessage {
  opened: AnyOpened
  bodyBytes: Uint8Array
  signature: Uint8Array | undefined
  /** the peer whose key must have signed it; `undefined` for an unsigned want */
  signer: string | undefined
}

/**
 * First half of {@link openMessage}: size limit, strict canonical decode of envelope and body,
 * schema. Throws {@link InvalidMessageError} (`oversize`, `malformed`, `non-canonical`) and never
 * anything else. The same buffer handed to many agents of one process (a simulation, a relay
 * fan-out) is decoded once: keyed by identity and re-checked against a private copy, so a buffer
 * mutated after it was decoded is decoded afresh.
 */
export function decodeMessage (bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): DecodedMessage {
  const cached = decodedCache.get(bytes)
  if (cached !== undefined && cached.limits === limitsKey(limits) && sameBytes(cached.copy, bytes)) return cached.decoded
  // a copy (a Node Buffer's slice() is a view): the cache compares against it, and the body and
  // signature are views of it
  const copy = bytes instanceof Uint8Array && bytes.byteLength <= limits.maxMessageBytes ? new Uint8Array(bytes) : bytes
  const decoded = decodeUncached(bytes, copy, limits)
  // every size: the copy is what the decoded body's byte strings are views of, kept as long as the
  // message anyway; a proposal or close of a large electorate is what is most worth not decoding again
  if (copy !== bytes) decodedCache.set(bytes, { copy, limits: limitsKey(limits), decoded })
  return decoded
}

/** Second half of {@link openMessage}: the signature of the peer the body names (`bad-signature`). */
export async function verifyMessage (decoded: DecodedMessage): Promise<AnyOpened> {
  const { opened, signer, signature, bodyBytes } = decoded
  if (signer === undefined) return opened
  // one decoded message (the same buffer handed to many agents) is verified once
  let valid = verdicts.get(decoded)
  if (valid === undefined) {
    valid = signature === undefined ? Promise.resolve(false) : verifySignature(opened.body.type, signer, bodyBytes, opened.id, signature, opened.key)
    verdicts.set(decoded, valid)
  }
  if (!await valid) {
    throw new InvalidMessageError('bad-signature', `${opened.body.type} signature does not verify for ${signer}`)
  }
  verifiedOk.add(decoded)
  return opened
}

const verdicts = new WeakMap<DecodedMessage, Promise<boolean>>()
/** decoded messages whose signature check has succeeded */
const verifiedOk = new WeakSet<DecodedMessage>()

/**
 * The opened message at once, without waiting on a promise, if its signature check already
 * succeeded (or it is an unsigned want); otherwise `undefined`: then {@link verifyMessage}. A buffer
 * delivered to many agents of one process is verified once, and each later copy costs no promise.
 */
export function alreadyVerified (decoded: DecodedMessage): AnyOpened | undefined {
  return decoded.signer === undefined || verifiedOk.has(decoded) ? decoded.opened : undefined
}

/**
 * Open untrusted bytes: size limit, strict canonical decode of envelope and body, schema, and the
 * signature of the peer the body names. Throws {@link InvalidMessageError} with a `reason`
 * (`oversize`, `malformed`, `non-canonical`, `bad-signature`) and never anything else.
 */
export async function openMessage (bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Promise<AnyOpened> {
  return verifyMessage(decodeMessage(bytes, limits))
}

/**
 * `equals`, four bytes a step where both are 4-byte aligned: in a browser `equals` is a byte loop, and
 * the decoded-message cache compares every copy of a close (32 bytes per counted vote) it hands out.
 */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength
  if (length !== b.byteLength) return false
  if (length < 64 || a.byteOffset % 4 !== 0 || b.byteOffset % 4 !== 0) return equals(a, b)
  const words = length >>> 2
  const x = new Int32Array(a.buffer, a.byteOffset, words)
  const y = new Int32Array(b.buffer, b.byteOffset, words)
  for (let i = 0; i < words; i++) if (x[i] !== y[i]) return false
  for (let i = words << 2; i < length; i++) if (a[i] !== b[i]) return false
  return true
}

const decodedCache = new WeakMap<Uint8Array, { copy: Uint8Array, limits: string, decoded: DecodedMessage }>()
const limitsKeys = new WeakMap<DecodeLimits, string>()

let lastLimits: DecodeLimits | undefined
let lastLimitsKey = ''

function limitsKey (limits: DecodeLimits): string {
  if (limits === lastLimits) return lastLimitsKey
  let key = limitsKeys.get(limits)
  if (key === undefined) {
    key = Object.values(limits).join(',')
    limitsKeys.set(limits, key)
  }
  lastLimits = limits
  lastLimitsKey = key
  return key
}

/**
 * The envelope `[body bytes, signature]` (or `[body bytes]`) read without a CBOR decode: only the
 * exact canonical shape — array head, shortest-form byte-string heads, nothing after — is taken
 * here, the byte strings as views of `copy` (a private copy of `bytes`, which the decoded-message
 * cache keeps anyway, so a caller reusing its buffer cannot change them). Anything else returns
 * `undefined` and goes through the full strict decode, which names what is wrong with it.
 */
function splitEnvelope (bytes: Uint8Array, copy: Uint8Array): unknown[] | undefined {
  const cursor: Cursor = { at: 0 }
  const count = readHead(bytes, cursor, Major.Array)
  if (count !== 1 && count !== 2) return undefined
  const items: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const length = readHead(bytes, cursor, Major.Bytes)
    if (length < 0 || cursor.at + length > bytes.byteLength) return undefined
    items.push(copy.subarray(cursor.at, cursor.at + length))
    cursor.at += length
  }
  return cursor.at === bytes.byteLength ? items : undefined
}

function decodeUncached (bytes: Uint8Array, copy: Uint8Array, limits: DecodeLimits): DecodedMessage {
  if (!(bytes instanceof Uint8Array)) throw new InvalidMessageError('malformed', 'expected bytes')
  if (bytes.byteLength > limits.maxMessageBytes) {
    throw new InvalidMessageError('oversize', `message is ${bytes.byteLength} bytes, limit ${limits.maxMessageBytes}`)
  }
  const envelope = splitEnvelope(bytes, copy) ?? decodeCanonical(bytes, limits.maxMessageBytes)
  if (!Array.isArray(envelope) || envelope.length < 1 || envelope.length > 2 || !(envelope[0] instanceof Uint8Array)) {
    throw new InvalidMessageError('malformed', 'envelope: expected [body bytes, signature]')
  }
  const bodyBytes = envelope[0]
  const body = parseBody(decodeCanonical(bodyBytes, limits.maxMessageBytes), limits)
  if (SMALL_TYPES.has(body.type) && bytes.byteLength > limits.maxSmallMessageBytes) {
    throw new InvalidMessageError('oversize', `${body.type} is ${bytes.byteLength} bytes, limit ${limits.maxSmallMessageBytes}`)
  }
  const id = contentId(bodyBytes)
  // `bytes` is the private copy: a peer holding the message keeps that one buffer, and the caller's
  // (with its decoded-cache entry, which dies with it) can go
  const opened = { body, id, key: idToString(id), bytes: copy } as AnyOpened
  if (body.type === 'want') {
    if (envelope.length !== 1) throw new InvalidMessageError('malformed', 'want carries no signature')
    return { opened, bodyBytes, signature: undefined, signer: undefined }
  }
  const signature = envelope[1]
  if (!(signature instanceof Uint8Array)) throw new InvalidMessageError('malformed', `${body.type} must carry a signature`)
  return { opened, bodyBytes, signature, signer: signerOf(body) }
}
