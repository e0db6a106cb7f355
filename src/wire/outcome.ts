/**
 * The outcome a close proposes — decision, counted vote ids, equivocation pairs, tally, winner — and its id.
 * Members prevote and precommit outcomes, not closes: the same outcome re-proposed in a later round by
 * another closer is the same value, and a certificate's id is its outcome's id, identical on every peer.
 */
import { encodeCanonical } from './codec.js'
import { contentId, idToString } from './ids.js'
import { PROTOCOL_VERSION, type CloseBody } from './messages.js'

const outcomeIds = new WeakMap<CloseBody, string>()

/** The canonical bytes an outcome id hashes: what a close decides, without who closed it, in which round or when. */
export function outcomeBytes (body: CloseBody): Uint8Array {
  return encodeCanonical({
    type: 'outcome',
    v: PROTOCOL_VERSION,
    ns: body.ns,
    proposal: body.proposal,
    decision: body.decision,
    votes: body.votes,
    excluded: body.excluded,
    tally: body.tally,
    winner: body.winner
  })
}

/** Hex id of a close's outcome (SHA-256 of {@link outcomeBytes}), remembered per decoded body. */
export function outcomeKey (body: CloseBody): string {
  let key = outcomeIds.get(body)
  if (key === undefined) {
    key = idToString(contentId(outcomeBytes(body)))
    outcomeIds.set(body, key)
  }
  return key
}
