import { CATCH_UP_PROPOSAL_ID } from '../../wire/catch-up.js'
import { CATCH_UP_DECISIONS, CATCH_UP_HAVE } from '../constants.js'
import { ignore } from '../verdicts.js'
import type { HandlerContext } from './context.js'
import type { Verdict } from '../../transport/coordinator.js'

/**
 * A catch-up request: answered, at most once per interval per peer, with the proof of each recent
 * decision the asker does not list as `held` (proposal, close, counted votes, acks). A listed
 * decision of a proposal this peer never saw means it missed one (it was cut off, and its own
 * catch-up requests were lost): it asks the asker back. Open proposals go along: to an asker that is
 * a member, and, when this peer coordinates them (with its own vote), to any asker.
 */
export async function onCatchUp (core: HandlerContext, from: string, held: Set<string>): Promise<Verdict> {
  if (from === core.peerId) return ignore('own')
  askBack(core, from, held)
  if (!core.catchUps.take(from)) return ignore('catch-up-too-soon')
  for (const key of core.rounds.recentlyClosed(CATCH_UP_DECISIONS)) {
    if (held.has(key)) continue
    for (const message of core.rounds.get(key)?.proof() ?? []) core.outbox.sendInBackground(from, message.bytes)
  }
  for (const round of core.rounds.values()) {
    if (round.closed) continue
    // a member that was away when a proposal went out (a tab reconnecting) gets it now, and can still
    // vote; and the proposals we coordinate, with our own vote, go to any asker: a coordinator that just
    // failed over to another hub published them into the connection that was closing, and the new hub
    // (no member itself) relays them on to the members behind it
    const ours = round.ctx.proposal.body.coordinator === core.peerId
    if (ours || round.ctx.electorate.has(from)) core.outbox.sendInBackground(from, round.ctx.proposal.bytes)
    const own = round.ownVote
    if (ours && own.state === 'cast') core.outbox.sendInBackground(from, own.vote.bytes)
  }
  return ignore('pull')
}

/**
 * Ask `from` for its recent decisions when it lists one of a proposal unknown here — at most once per
 * interval per peer, and three times per interval per unknown proposal (of the many peers that list it
 * after a partition heals, a few are asked, not all): the listed ids are the asker's word, so a peer
 * listing made-up ids gets one small request back per interval, nothing more.
 */
function askBack (core: HandlerContext, from: string, held: Set<string>): void {
  for (const key of held) {
    if (core.rounds.known(key)) continue
    if (core.askBack.peers.take(from) && core.askBack.proposals.take(key)) {
      core.outbox.pull(CATCH_UP_PROPOSAL_ID, core.rounds.recentlyDecided(CATCH_UP_HAVE), from).catch(() => {})
    }
    return
  }
}
