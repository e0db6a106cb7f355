import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { decodeCanonical, encodeCanonical } from './codec.js'
import { defaultDecodeLimits, type DecodeLimits } from './limits.js'
import { parseBody, signerOf, type AckBody, type CloseBody, type MessageBody, type ProposalBody, type SignedBody, type VoteBody, type WantBody } from './messages.js'
import { contentId, idToString, signBody, verifySignature, type Identity } from './signing.js'

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

/** Any opened message, discriminated by `body.type`. */
export type AnyOpened = OpenedProposal | OpenedVote | OpenedClose | OpenedAck | OpenedWant

const SMALL_TYPES = new Set(['vote', 'ack', 'want'])

/**
 * Wire envelope: the canonical CBOR array `[body bytes, signature]` (`[body bytes]` for want).
 * Signing the body's bytes rather than a re-encoding of parsed values means what is verified is
 * exactly what arrived.
 */
export async function sealMessage <B extends SignedBody> (identity: Identity, body: B): Promise<Opened<B>> {
  if (signerOf(body) !== identity.peerId) throw new InvalidMessageError('bad-signer', `${body.type} must be signed by ${signerOf(body)}, not ${identity.peerId}`)
  const bodyBytes = encodeCanonical(body)
  const signature = await signBody(identity, body.type, bodyBytes)
  const id = contentId(bodyBytes)
  return { body, id, key: idToString(id), bytes: encodeCanonical([bodyBytes, signature]) }
}

/** Wrap an unsigned want. */
export function sealWant (body: WantBody): OpenedWant {
  const bodyBytes = encodeCanonical(body)
  const id = contentId(bodyBytes)
  return { body, id, key: idToString(id), bytes: encodeCanonical([bodyBytes]) }
}

/**
 * Open untrusted bytes: size limit, strict canonical decode of envelope and body, schema, and the
 * signature of the peer the body names. Throws {@link InvalidMessageError} with a `reason`
 * (`oversize`, `malformed`, `non-canonical`, `bad-signature`) and never anything else.
 */
export async function openMessage (bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Promise<AnyOpened> {
  // The same buffer handed to many agents of one process (a simulation, a relay fan-out) is opened
  // once. Keyed by identity and re-checked against a private copy, so a buffer mutated after it was
  // opened is opened afresh.
  const cached = openedCache.get(bytes)
  if (cached !== undefined && cached.limits === limitsKey(limits) && equals(cached.copy, bytes)) return cached.opened
  const opened = await openUncached(bytes, limits)
  if (bytes.byteLength <= limits.maxSmallMessageBytes) openedCache.set(bytes, { copy: new Uint8Array(bytes), limits: limitsKey(limits), opened }) // a copy: a Node Buffer's slice() is a view
  return opened
}

const openedCache = new WeakMap<Uint8Array, { copy: Uint8Array, limits: string, opened: AnyOpened }>()
const limitsKeys = new WeakMap<DecodeLimits, string>()

function limitsKey (limits: DecodeLimits): string {
  let key = limitsKeys.get(limits)
  if (key === undefined) {
    key = Object.values(limits).join(',')
    limitsKeys.set(limits, key)
  }
  return key
}

async function openUncached (bytes: Uint8Array, limits: DecodeLimits): Promise<AnyOpened> {
  const envelope = decodeCanonical(bytes, limits.maxMessageBytes)
  if (!Array.isArray(envelope) || envelope.length < 1 || envelope.length > 2 || !(envelope[0] instanceof Uint8Array)) {
    throw new InvalidMessageError('malformed', 'envelope: expected [body bytes, signature]')
  }
  const bodyBytes = envelope[0]
  const body = parseBody(decodeCanonical(bodyBytes, limits.maxMessageBytes), limits)
  if (SMALL_TYPES.has(body.type) && bytes.byteLength > limits.maxSmallMessageBytes) {
    throw new InvalidMessageError('oversize', `${body.type} is ${bytes.byteLength} bytes, limit ${limits.maxSmallMessageBytes}`)
  }
  const id = contentId(bodyBytes)
  const opened = { body, id, key: idToString(id), bytes } as AnyOpened
  if (body.type === 'want') {
    if (envelope.length !== 1) throw new InvalidMessageError('malformed', 'want carries no signature')
    return opened
  }
  const signature = envelope[1]
  if (!(signature instanceof Uint8Array)) throw new InvalidMessageError('malformed', `${body.type} must carry a signature`)
  if (!await verifySignature(body.type, signerOf(body), bodyBytes, id, signature)) {
    throw new InvalidMessageError('bad-signature', `${body.type} signature does not verify for ${signerOf(body)}`)
  }
  return opened
}
