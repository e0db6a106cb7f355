import { sealMessage, type OpenedVote } from '../../wire/envelope.js'
import { PROTOCOL_VERSION } from '../../wire/messages.js'
import { checkCbor, isVoteType, type VoteDecision } from '../options.js'
import { proposalView } from '../results.js'
import { accept, ignore, reject } from '../verdicts.js'
import { recheckPendingCloses, tryClose } from './close.js'
import type { HandlerContext, Reactions } from './context.js'
import type { ProposalState } from '../proposal-state.js'
import type { Verdict } from '../../transport/coordinator.js'
import type { CborRecord, VoteType } from '../../types.js'

/**
 * A vote: counted (or, a second one of its voter, kept as equivocation evidence and shown to all);
 * pending closes it completes are adopted; the coordinator closes once the outcome is settled.
 */
export async function onVote (core: HandlerContext, round: ProposalState, vote: OpenedVote, from: string, reactions: Reactions): Promise<Verdict> {
  const effect = round.addVote(vote)
  if (effect === 'non-member' || effect === 'wrong-proposal') return reject(effect)
  if (effect === 'duplicate' || effect === 'repeat-equivocation') return ignore('duplicate')
  // our own vote, from the datastore or a relay: it is our one vote
  if (vote.body.voter === core.peerId) round.adoptOwnVote(vote)
  await core.remember(round.key, vote)
  if (effect === 'equivocation') {
    const pair = round.equivocations.get(vote.body.voter) as readonly [OpenedVote, OpenedVote]
    core.emit('evidence', { detail: { kind: 'equivocation', proposalId: round.key, offender: vote.body.voter, messages: pair.map(v => v.bytes) } })
    // an equivocator may have shown each peer a different vote: show everyone both
    reactions.push(async () => { for (const evidence of pair) await core.outbox.broadcast(evidence) })
  } else {
    core.emit('vote', { detail: { proposalId: round.key, voter: vote.body.voter, vote: vote.body.choice, metadata: vote.body.metadata } })
  }
  reactions.push(...recheckPendingCloses(core, round, 'vote'))
  // a vote after a close still counts in a later round's close, until the proposal is decided
  if (round.decided !== undefined) return ignore('late')
  if (round.ctx.proposal.body.coordinator === core.peerId && round.evaluate().outcome !== 'pending') reactions.push(async () => tryClose(core, round))
  return accept(effect)
}

/** Ask the voter, if there is one and this peer may still vote on `round`. */
export async function maybeAutoVote (core: HandlerContext, round: ProposalState): Promise<void> {
  if (core.voter === undefined || !round.ctx.electorate.has(core.peerId)) return
  if (round.ownVote.state === 'none' && !round.closed && !round.observeOnly) await autoVote(core, round)
}

async function autoVote (core: HandlerContext, round: ProposalState): Promise<void> {
  // no other vote may start while the voter thinks
  round.lockOwnVote()
  let answer: VoteType | VoteDecision | undefined
  try {
    answer = await core.voter?.(proposalView(round))
  } catch (err) {
    core.log.error('voter failed on %s: %e', round.key, err)
  }
  const decision = typeof answer === 'string' ? { vote: answer } : answer
  if (decision === undefined || !isVoteType(decision.vote)) {
    if (decision !== undefined) core.log.error('voter returned %o, not a VoteType; not voting', decision)
    round.releaseOwnVote()
    return
  }
  let metadata: CborRecord
  try {
    metadata = checkCbor(decision.metadata ?? {}, 'vote metadata')
  } catch (err) {
    core.log.error('voter metadata rejected: %e', err)
    metadata = {}
  }
  round.releaseOwnVote()
  if (!round.closed) await castVote(core, round, decision.vote, metadata)
}

/** Sign this peer's one vote on `round`, store it, count it and send it. */
export async function castVote (core: HandlerContext, round: ProposalState, vote: VoteType, metadata: CborRecord): Promise<void> {
  round.lockOwnVote()
  const sealed = await sealMessage(core.identity, {
    type: 'vote', v: PROTOCOL_VERSION, ns: core.namespace, proposal: round.ctx.proposal.id, voter: core.peerId, choice: vote, metadata
  })
  round.recordOwnVote(sealed)
  // stored before it leaves: after a crash we must never sign a different vote
  await core.store.save(round.key, sealed)
  await core.processNow(sealed, core.peerId)
  await core.outbox.broadcast(sealed)
}
