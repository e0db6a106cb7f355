import { sealMessage, type OpenedVote } from '../../wire/envelope.js'
import { PROTOCOL_VERSION, type VoteBody } from '../../wire/messages.js'
import { voteProblem } from '../ballot-check.js'
import { checkCbor, type VoteDecision } from '../options.js'
import { proposalView } from '../results.js'
import { accept, ignore, reject } from '../verdicts.js'
import { recheckPendingCloses, tryClose } from './close.js'
import type { HandlerContext, Maybe, Reactions } from './context.js'
import type { ProposalState, VoteEffect } from '../proposal-state.js'
import type { Verdict } from '../../transport/coordinator.js'
import { MAX_VOTE_SEQ, type Ballot, type CborRecord } from '../../types.js'

/**
 * A vote: counted (or, where votes may change, counted instead of its voter's older one; or, a second
 * one of its voter for the same sequence number, kept as equivocation evidence and shown to all);
 * pending closes it completes are adopted; the coordinator closes once the outcome is settled.
 */
export function onVote (core: HandlerContext, round: ProposalState, vote: OpenedVote, from: string, reactions: Reactions): Maybe<Verdict> {
  const effect = round.addVote(vote)
  if (effect === 'non-member' || effect === 'wrong-proposal' || effect === 'bad-ballot') return reject(effect)
  if (effect === 'duplicate' || effect === 'repeat-equivocation') return ignore('duplicate')
  // our own vote, from the datastore or a relay: it is our vote (our latest, where votes may change)
  if (vote.body.voter === core.peerId) round.adoptOwnVote(vote)
  const saving = core.remember(round.key, vote)
  if (saving !== undefined) return saving.then(() => voteKept(core, round, vote, effect, reactions))
  return voteKept(core, round, vote, effect, reactions)
}

/** A vote held and stored: evidence shown, the event, pending closes it completes, the coordinator's close. */
function voteKept (core: HandlerContext, round: ProposalState, vote: OpenedVote, effect: VoteEffect, reactions: Reactions): Verdict {
  if (effect === 'equivocation') {
    const pair = round.equivocations.get(vote.body.voter) as readonly [OpenedVote, OpenedVote]
    core.emit('evidence', { detail: { kind: 'equivocation', proposalId: round.key, offender: vote.body.voter, messages: pair.map(v => v.bytes) } })
    // an equivocator may have shown each peer a different vote: show everyone both
    reactions.push(async () => { for (const evidence of pair) await core.outbox.broadcast(evidence) })
  } else if (effect === 'superseded') {
    // an older ballot of a voter whose newer one counts here: held for closes that cite it, not news
    reactions.push(...recheckPendingCloses(core, round, 'vote'))
    return ignore('superseded')
  } else {
    const { voter, choice, seq, metadata } = vote.body
    core.emit('vote', { detail: { proposalId: round.key, voter, vote: choice, seq, metadata } })
  }
  reactions.push(...recheckPendingCloses(core, round, 'vote'))
  // a vote after a close still counts in a later round's close, until the proposal is decided
  if (round.decided !== undefined) return ignore('late')
  const body = round.ctx.proposal.body
  // where votes may change, the close waits for the deadline whatever the count says
  if (body.coordinator === core.peerId && !body.voteChange && round.evaluate().outcome !== 'pending') reactions.push(async () => tryClose(core, round))
  return accept(effect as 'counted' | 'replaced' | 'equivocation')
}

/** Ask the voter, if there is one and this peer may still vote on `round`. */
export async function maybeAutoVote (core: HandlerContext, round: ProposalState): Promise<void> {
  if (core.voter === undefined || !round.ctx.electorate.has(core.peerId)) return
  if (round.ownVote.state === 'none' && !round.closed && !round.observeOnly) await autoVote(core, round)
}

async function autoVote (core: HandlerContext, round: ProposalState): Promise<void> {
  // no other vote may start while the voter thinks
  round.lockOwnVote()
  let answer: Ballot | VoteDecision | undefined
  try {
    answer = await core.voter?.(proposalView(round))
  } catch (err) {
    core.log.error('voter failed on %s: %e', round.key, err)
  }
  const decision = asVoteDecision(answer)
  const problem = decision === undefined ? undefined : ownBallotProblem(round, decision.vote)
  if (decision === undefined || problem !== undefined) {
    if (decision !== undefined) core.log.error('voter returned %o, which cannot count (%s); not voting', decision, problem)
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

/** A voter's answer as a {@link VoteDecision}: `{ vote, metadata }` as given, a bare ballot wrapped; `undefined` for none. */
function asVoteDecision (answer: Ballot | VoteDecision | undefined): VoteDecision | undefined {
  if (answer === undefined || answer === null) return undefined
  // a weighted ballot is a map too, but of choice indices: only a decision has a `vote` key
  if (typeof answer === 'object' && !Array.isArray(answer) && Object.hasOwn(answer, 'vote')) return answer as VoteDecision
  return { vote: answer as Ballot }
}

/** Why `ballot` cannot be this peer's next vote on `round`, or `undefined` if it can. */
export function ownBallotProblem (round: ProposalState, ballot: unknown): string | undefined {
  const own = round.ownVote
  const seq = own.state === 'cast' ? own.vote.body.seq + 1 : 0
  if (seq > MAX_VOTE_SEQ) return `a vote may change at most ${MAX_VOTE_SEQ} times`
  return voteProblem(round.ctx, { seq, choice: ballot as Ballot } as VoteBody)
}

/**
 * Sign this peer's vote on `round` — its first (sequence number 0), or, where votes may change, the
 * next change — then store it, count it and send it.
 */
export async function castVote (core: HandlerContext, round: ProposalState, vote: Ballot, metadata: CborRecord): Promise<void> {
  const own = round.ownVote
  const seq = own.state === 'cast' ? own.vote.body.seq + 1 : 0
  round.lockOwnVote()
  const sealed = await sealMessage(core.identity, {
    type: 'vote', v: PROTOCOL_VERSION, ns: core.namespace, proposal: round.ctx.proposal.id, voter: core.peerId, seq, choice: vote, metadata
  })
  round.recordOwnVote(sealed)
  // stored before it leaves: after a crash we must never sign a different vote
  await core.store.save(round.key, sealed)
  await core.processNow(sealed, core.peerId)
  await core.outbox.broadcast(sealed)
}
