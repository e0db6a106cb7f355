import { ballotProblem } from '../algorithms/ballots/index.js'
import type { ProposalContext } from './context.js'
import { isVoteType, votingTypeOf, type VotingType } from '../types.js'
import type { VoteBody } from '../wire/messages.js'

/**
 * Why a signed vote cannot count on its proposal, or `undefined` when it can: a binary proposal takes
 * `for`, `against` or `abstain`; one with choices a ballot of its pinned voting type over its choices;
 * a sequence number above 0 only where the proposal allows vote changes. A vote that fails is provably
 * bad (its voter signed it), so the network rejects it and a close counting it.
 */
export function voteProblem (ctx: ProposalContext, vote: VoteBody): string | undefined {
  const proposal = ctx.proposal.body
  if (vote.seq > 0 && !proposal.voteChange) return `seq ${vote.seq}, but this proposal allows no vote changes`
  if (proposal.choices.length === 0) {
    return isVoteType(vote.choice) ? undefined : `a binary proposal takes for, against or abstain, not ${JSON.stringify(vote.choice)}`
  }
  return ballotProblem(votingTypeOf(proposal.algorithm.kind) as VotingType, vote.choice, proposal.choices.length)
}
