import { idToString } from '../../wire/ids.js'
import { ignore } from '../verdicts.js'
import type { HandlerContext } from './context.js'
import type { ProposalState } from '../proposal-state.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { OpenedWant } from '../../wire/envelope.js'

/** A pull request for one proposal: answered directly with what we hold of what it names, never relayed. */
export async function onWant (core: HandlerContext, round: ProposalState, want: OpenedWant, from: string): Promise<Verdict> {
  if (from === core.peerId) return ignore('own')
  for (const reply of round.repliesTo(want.body.ids.map(idToString))) core.outbox.sendInBackground(from, reply.bytes)
  return ignore('pull')
}
