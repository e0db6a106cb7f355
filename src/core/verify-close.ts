import { InvalidMessageError, type InvalidMessageReason } from '../errors.js'
import { Outcome, type AlgorithmEvaluation } from '../algorithms/interface.js'
import { tallyTuple, tallyVotes } from '../algorithms/tally.js'
import { ConsensusDecision, type Ballot, type VoteType } from '../types.js'
import { idKey } from '../wire/ids.js'
import { outcomeKey } from '../wire/outcome.js'
import { voteProblem } from './ballot-check.js'
import { closerOf, roundStart } from './round-clock.js'
import type { ProposalContext } from './context.js'
import type { OpenedClose, OpenedVote } from '../wire/envelope.js'

/** A close whose every claim was recomputed and holds. */
export interface CheckedClose {
  close: OpenedClose
  /** the outcome id members prevote and precommit */
  value: string
  /** voter → ballot, as counted by the close */
  counted: Map<string, Ballot>
  /** vote envelopes the close counts or cites as evidence, in the close's order */
  votes: OpenedVote[]
  evaluation: AlgorithmEvaluation
}

/** Evaluate a pinned algorithm; a throwing custom algorithm is reported, not propagated. */
export function evaluateAlgorithm (
  ctx: ProposalContext, counted: ReadonlyMap<string, Ballot>, tally = tallyVotes(ctx.electorate, counted)
): AlgorithmEvaluation {
  const body = ctx.proposal.body
  try {
    // a binary proposal's ballots are all VoteTypes (voteProblem refuses anything else)
    const votes = counted as ReadonlyMap<string, VoteType>
    return ctx.algorithm.evaluate({ params: body.algorithm.params, tally, electorate: ctx.electorate, votes, ballots: counted, choices: body.choices })
  } catch (err: any) {
    throw new InvalidMessageError('algorithm-error', `algorithm ${ctx.proposal.body.algorithm.kind} failed: ${String(err?.message ?? err)}`)
  }
}

/**
 * The decision a close must carry for an evaluation: a settled outcome; else, once the vote has ended
 * (`atEnd`: at or after the deadline), what the rule says of the votes counted (`timeout` for every
 * binary rule); else none — an unsettled vote may not be closed before its deadline.
 */
export function decisionFor (evaluation: AlgorithmEvaluation, atEnd: boolean): ConsensusDecision | undefined {
  if (evaluation.outcome !== Outcome.Pending) return evaluation.outcome
  return atEnd ? evaluation.final ?? ConsensusDecision.Timeout : undefined
}

/** The winner a close must name for an evaluation and decision: the rule's winner of an approved vote with choices, else 0. */
export function winnerFor (evaluation: AlgorithmEvaluation, decision: ConsensusDecision): number {
  return decision === ConsensusDecision.Approved ? evaluation.winner ?? 0 : 0
}

/** Whether a close ends the vote by its own date: any close of a round ≥ 1, or a round-0 close dated at or after the deadline. */
export function closesAtEnd (ctx: ProposalContext, close: { round: number, closedAt: number }): boolean {
  return close.round > 0 || close.closedAt >= ctx.proposal.body.deadline
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
    if (proposal.voteChange) bad('early-timeout', 'votes may change until the deadline: no close before it')
    bad('early-timeout', 'timeout declared before the deadline')
  }
}

/**
 * The earliest time a close may be made: the start of its round for rounds ≥ 1; for round 0 the
 * deadline when it says the vote ended (a timeout, or dated at or after the deadline) or when votes
 * may change until then; else any time (an early close: its votes must settle the outcome).
 */
export function closeSlot (ctx: ProposalContext, close: OpenedClose): number {
  const proposal = ctx.proposal.body
  if (close.body.round > 0) return roundStart(proposal, close.body.round)
  const ended = close.body.decision === ConsensusDecision.Timeout || close.body.closedAt >= proposal.deadline || proposal.voteChange
  return ended ? proposal.deadline : -Infinity
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
  const voteChange = ctx.proposal.body.voteChange
  for (const [a, b] of evidence as Array<[OpenedVote, OpenedVote]>) {
    if (a.body.voter !== b.body.voter) bad('bad-evidence', 'excluded pair is not two votes of one voter')
    if (voteChange && a.body.seq !== b.body.seq) bad('bad-evidence', 'excluded pair is a vote change (two sequence numbers), not equivocation')
    excludedVoters.add(a.body.voter)
    votes.push(a, b)
  }
  const counted = new Map<string, Ballot>()
  for (const vote of listed as OpenedVote[]) {
    const voter = vote.body.voter
    if (idKey(vote.body.proposal) !== ctx.proposal.key) bad('wrong-proposal', 'close counts a vote for another proposal')
    if (!ctx.electorate.has(voter)) bad('non-member', `close counts non-member ${voter}`)
    const problem = voteProblem(ctx, vote.body)
    if (problem !== undefined) bad('bad-ballot', `close counts a vote of ${voter} that cannot count: ${problem}`)
    if (counted.has(voter)) bad('double-vote', `close counts two votes of ${voter}`)
    if (excludedVoters.has(voter)) bad('double-vote', `close counts excluded equivocator ${voter}`)
    counted.set(voter, vote.body.choice)
    votes.push(vote)
  }
  const tally = tallyVotes(ctx.electorate, counted)
  const expected = tallyTuple(tally)
  if (expected.some((n, i) => n !== body.tally[i])) bad('wrong-tally', `close tally ${body.tally.join('/')} but its votes give ${expected.join('/')}`)
  const evaluation = evaluateAlgorithm(ctx, counted, tally)
  const decision = decisionFor(evaluation, closesAtEnd(ctx, body))
  if (decision === undefined) {
    bad(body.decision === ConsensusDecision.Timeout ? 'early-timeout' : 'wrong-decision',
      `close says ${body.decision} before the deadline, but its votes do not settle the outcome`)
  }
  if (decision !== body.decision) bad('wrong-decision', `close says ${body.decision} but its votes give ${decision}`)
  const winner = winnerFor(evaluation, decision)
  if (winner !== body.winner) bad('wrong-decision', `close names winner ${body.winner} but its votes give ${winner}`)
  return { close, value: outcomeKey(body), counted, votes, evaluation }
}
