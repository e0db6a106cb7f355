import { CATCH_UP_DECISIONS } from '../constants.js'
import { ignore } from '../verdicts.js'
import type { HandlerContext } from './context.js'
import type { Verdict } from '../../transport/coordinator.js'

/**
 * A catch-up request: answered, at most once per interval per peer, with the proof of each recent
 * decision the asker does not list as `held` (proposal, close, counted votes, acks).
 */
export async function onCatchUp (core: HandlerContext, from: string, held: Set<string>): Promise<Verdict> {
  if (from === core.peerId) return ignore('own')
  if (!core.catchUps.take(from)) return ignore('catch-up-too-soon')
  for (const key of core.rounds.recentlyClosed(CATCH_UP_DECISIONS)) {
    if (held.has(key)) continue
    for (const message of core.rounds.get(key)?.proof() ?? []) core.outbox.sendInBackground(from, message.bytes)
  }
  // a member that was away when a proposal went out (a tab reconnecting) gets it now, and can still vote
  for (const round of core.rounds.values()) {
    if (!round.closed && round.ctx.electorate.has(from)) core.outbox.sendInBackground(from, round.ctx.proposal.bytes)
  }
  return ignore('pull')
}
