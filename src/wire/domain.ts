/**
 * Domain separation: what is signed is `libp2p-consensus/v2/<type>\n` followed by the canonical body.
 * The body itself names the namespace and (for votes, closes, acks) the proposal id, so a signature
 * for one proposal, namespace or message type can never verify as another, nor as any other use of
 * the same libp2p key.
 */
export const SIGNING_DOMAIN = 'libp2p-consensus/v2/'

const domainPrefixes = new Map<string, Uint8Array>()
const utf8 = new TextEncoder()

/** The exact bytes a signature covers. */
export function signingBytes (type: string, body: Uint8Array): Uint8Array {
  let prefix = domainPrefixes.get(type)
  if (prefix === undefined) {
    prefix = utf8.encode(`${SIGNING_DOMAIN}${type}\n`)
    domainPrefixes.set(type, prefix)
  }
  const bytes = new Uint8Array(prefix.byteLength + body.byteLength)
  bytes.set(prefix)
  bytes.set(body, prefix.byteLength)
  return bytes
}
