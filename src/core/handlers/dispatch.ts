import { isCatchUp } from '../../wire/catch-up.js'
import { idKey, idToString } from '../../wire/ids.js'
import { UNKNOWN_PROPOSAL_PULL_INTERVAL_MS } from '../constants.js'
import { ignore } from '../verdicts.js'
import { onAck } from './ack.js'
import { onCatchUp } from './catch-up.js'
import { onClose } from './close.js'
import { onProposal } from './proposal.js'
import { onVote } from './vote.js'
import { onWant } from './want.js'
import type { HandlerContext, Maybe, Reactions } from './context.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { AnyOpened, OpenedAck, OpenedClose, OpenedProposal, OpenedVote, OpenedWant } from '../../wire/envelope.js'

/** Times a proposal that messages arrived for, but that itself never came, is asked for again on a timer (backing off). */
const EARLY_RETRIES = 8

/**
 * Hand a verified message of this namespace to the handler of its kind. A message for a proposal
 * not seen yet waits for it (and the proposal is pulled from the sender, not too often). `viaTopic`:
 * the transport said the message came over the topic (`HandlerOptions.direct === false`).
 */
export function dispatch (core: HandlerContext, opened: AnyOpened, from: string, reactions: Reactions, viaTopic = false): Maybe<Verdict> {
  if (opened.body.type === 'proposal') return onProposal(core, opened as OpenedProposal, from, reactions)
  // presence is the transport's business (who is on the topic); a transport that hands it on gets it back
  if (opened.body.type === 'presence') return ignore('presence')
  if (opened.body.type === 'want' && isCatchUp(opened.body.proposal)) return onCatchUp(core, from, new Set(opened.body.ids.map(idToString)))
  const proposalKey = idKey(opened.body.proposal)
  const round = core.rounds.get(proposalKey)
  if (round === undefined) {
    if (core.rounds.isDecided(proposalKey)) return ignore('late')
    if (opened.body.type === 'want') return ignore('unknown-proposal')
    return holdEarly(core, proposalKey, opened, from).then(() => ignore('unknown-proposal'))
  }
  switch (opened.body.type) {
    case 'vote': return onVote(core, round, opened as OpenedVote, from, reactions)
    case 'close': return onClose(core, round, opened as OpenedClose, from, reactions, false, viaTopic)
    case 'ack': return onAck(core, round, opened as OpenedAck, from, reactions)
    default: return onWant(core, round, opened as OpenedWant, from)
  }
}

async function holdEarly (core: HandlerContext, proposalKey: string, opened: AnyOpened, from: string): Promise<void> {
  const { pullFrom, first } = core.early.hold(proposalKey, { opened, from })
  await core.outbox.pull(proposalKey, [proposalKey], pullFrom)
  // the senders may fall silent (they decided, or never meant to answer): ask again on a timer, a few times, backing off
  if (first) {
    core.scheduler.later(`early:${proposalKey}`, EARLY_RETRIES, UNKNOWN_PROPOSAL_PULL_INTERVAL_MS * 2, async () => {
      if (!core.early.holds(proposalKey)) return false
      await core.outbox.pull(proposalKey, [proposalKey], core.early.retry(proposalKey))
      return true
    })
  }
}
