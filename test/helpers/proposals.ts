/** Signed proposals and votes for tests that drive `ProposalState` directly (no network, no manager). */
import { sealMessage, type OpenedProposal, type OpenedVote } from '../../src/wire/envelope.js'
import { PROTOCOL_VERSION, type ProposalBody } from '../../src/wire/messages.js'
import type { Ballot } from '../../src/types.js'
import type { Identity } from '../../src/wire/identity.js'

/** A proposal by `coordinator`, its only closer, dated 1000 with deadline 2000 and a 100 ms step. */
export async function sealTestProposal (
  coordinator: Identity,
  fields: Pick<ProposalBody, 'electorate' | 'algorithm' | 'payload' | 'choices' | 'voteChange'>
): Promise<OpenedProposal> {
  return sealMessage(coordinator, {
    type: 'proposal',
    v: PROTOCOL_VERSION,
    ns: 'default',
    coordinator: coordinator.peerId,
    seq: 0,
    createdAt: 1000,
    deadline: 2000,
    step: 100,
    closers: [coordinator.peerId],
    ...fields
  })
}

/** `voter`'s vote `choice` (sequence number `seq`) on `proposal`, with no metadata. */
export async function sealTestVote (voter: Identity, proposal: OpenedProposal, choice: Ballot, seq = 0): Promise<OpenedVote> {
  return sealMessage(voter, { type: 'vote', v: PROTOCOL_VERSION, ns: 'default', proposal: proposal.id, voter: voter.peerId, seq, choice, metadata: {} })
}
