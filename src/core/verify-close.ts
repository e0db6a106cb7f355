import { InvalidMessageError, type InvalidMessageReason } from '../errors.js'
import { Outcome, type AlgorithmEvaluation } from '../algorithms/interface.js'
import { tallyTuple, tallyVotes } from '../algorithms/tally.js'
import { ConsensusDecision, type VoteType } from '../types.js'
import { idKey } from '../wire/ids.js'
import { outcomeKey } from '../wire/outcome.js'
import { closerOf, roundStart } from './round-clock.js'
import type { ProposalContext } from './context.js'
import type { OpenedClose, OpenedVote } from '../wire/envelope.js'

/** A close whose every claim was recomputed and holds. */
export interface CheckedClose {
  close: OpenedClose
  /** the outcome id members prevote and precommit */
  value: string
  /** voter → choice, as counted by the close */
  counted: Map<string, VoteType>
  /** vote envelopes the close counts or cites as evidence, in the close's order */
  votes: OpenedVote[]
  evaluation: AlgorithmEvaluation
}

/** Evaluate a pinned algorithm; a throwing custom algorithm is reported, not propagated. */
export function evaluateAlgorithm (
  ctx: ProposalContext, counted: ReadonlyMap<string, VoteType>, tally = tallyVotes(ctx.electorate, counted)
): AlgorithmEvaluation {
  try {
    return ctx.algorithm.evaluate({ params: ctx.proposal.body.algorithm.params, tally, electorate: ctx.electorate, votes: counted })
  } catch (err: any) {
    throw new InvalidMessageError('algorithm-error', `algorithm ${ctx.proposal.body.algorithm.kind} failed: ${String(err?.message ?? err)}`)
  }
}

/** The decision a close must carry for an evaluation: a settled outcome, else timeout. */
export function decisionFor (evaluation: AlgorithmEvaluation): ConsensusDecision {
  return evaluation.outcome === Outcome.Pending ? ConsensusDecision.Timeout : evaluation.outcome
}

function bad (reason: InvalidMessageReason, message: string): never {
  throw new InvalidMessageError(reason, message)
}

/**
 * The checks a close's own signed fields allow, before any vote is looked at: for this proposal, by
 * the closer of its round, `closedAt` not before that round starts, and no timeout before the deadline.
 */
export function checkCloseHeader (ctx: ProposalContext, close: OpenedClose): void {
  const proposal = ctx.proposal.body
  const body = close.body
  if (idKey(body.proposal) !== ctx.proposal.key || body.ns !== proposal.ns) bad('wrong-proposal', 'close is for another proposal')
  if (closerOf(proposal, body.round) !== body.closer) bad('not-closer', `${body.closer} is not the closer of round ${body.round}`)
  if (body.closedAt < closeSlot(ctx, close)) {
    if (body.round > 0) bad('before-slot', `a close of round ${body.round} may not be dated before that round starts`)
    bad('early-timeout', 'timeout declared before the deadline')
  }
}

/** The earliest time a close may be made: the start of its round for rounds ≥ 1, the deadline for a round-0 timeout, else any time. */
export function closeSlot (ctx: ProposalContext, close: OpenedClose): number {
  const proposal = ctx.proposal.body
  if (close.body.round > 0) return roundStart(proposal, close.body.round)
  return close.body.decision === ConsensusDecision.Timeout ? proposal.deadline : -Infinity
}

/**
 * Check a signature-verified close against its proposal: the right closer for its round and slot,
 * every cited vote present, valid, for this proposal and one per voter, equivocation evidence real,
 * and the tally and decision recomputed with our own copy of the algorithm. Returns the ids still
 * missing (fetch them and call again), or the checked close; throws {@link InvalidMessageError} when
 * the close is provably bad.
 */
export function checkClose (
  ctx: ProposalContext, close: OpenedClose, voteByKey: (key: string) => OpenedVote | undefined
): CheckedClose | { missing: string[] } {
  checkCloseHeader(ctx, close)
  const body = close.body

  const missing: string[] = []
  const fetch = (id: Uint8Array): OpenedVote | undefined => {
    const vote = voteByKey(idKey(id))
    if (vote === undefined) missing.push(idKey(id))
    return vote
  }
  const evidence = body.excluded.map(([a, b]) => [fetch(a), fetch(b)] as const)
  const listed = body.votes.map(fetch)
  if (missing.length > 0) return { missing }

  const votes: OpenedVote[] = []
  const excludedVoters = new Set<string>()
  for (const [a, b] of evidence as Array<[OpenedVote, OpenedVote]>) {
    if (a.body.voter !== b.body.voter) bad('bad-evidence', 'excluded pair is not two votes of one voter')
    excludedVoters.add(a.body.voter)
    votes.push(a, b)
  }
  const counted = new Map<string, VoteType>()
  for (const vote of listed as OpenedVote[]) {
    const voter = vote.body.voter
    if (idKey(vote.body.proposal) !== ctx.proposal.key) bad('wrong-proposal', 'close counts a vote for another proposal')
    if (!ctx.electorate.has(voter)) bad('non-member', `close counts non-member ${voter}`)
    if (counted.has(voter)) bad('double-vote', `close counts two votes of ${voter}`)
    if (excludedVoters.has(voter)) bad('double-vote', `close counts excluded equivocator ${voter}`)
    counted.set(voter, vote.body.choice)
    votes.push(vote)
  }
  const tally = tallyVotes(ctx.electorate, counted)
  const expected = tallyTuple(tally)
  if (expected.some((n, i) => n !== body.tally[i])) bad('wrong-tally', `close tally ${body.tally.join('/')} but its votes give ${expected.join('/')}`)
  const evaluation = evaluateAlgorithm(ctx, counted, tally)
  const decision = decisionFor(evaluation)
  if (decision !== body.decision) bad('wrong-decision', `close says ${body.decision} but its votes give ${decision}`)
  return { close, value: outcomeKey(body), counted, votes, evaluation }
}
