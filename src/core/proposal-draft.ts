import { PROTOCOL_VERSION, type ProposalBody } from '../wire/messages.js'
import { contentId, idToString } from '../wire/ids.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { CborRecord } from '../types.js'

/** What every proposal of one coordinator shares. */
export interface Proposer {
  coordinator: string
  namespace: string
  /** how many fallback closers follow the coordinator */
  fallbackClosers: number
}

/** What a coordinator decided about one proposal before it signs it. */
export interface ProposalDraft {
  seq: number
  createdAt: number
  timeoutMs: number
  /** Δ between closer slots */
  step: number
  electorate: Array<[string, number]>
  /** the registered name the request used, and its algorithm */
  algorithmName: string
  algorithm: ConsensusAlgorithm
  payload: CborRecord
  /** the options ballots choose among; empty for a binary proposal */
  choices: string[]
  /** whether voters may change their votes until the deadline */
  voteChange: boolean
}

/**
 * The fallback closers of a proposal: `count` members other than the coordinator, ranked by a hash
 * of the proposal's own salt (coordinator, seq, createdAt) and the member, so that no member is
 * always first and every peer can recompute the order.
 */
export function rankFallbackClosers (coordinator: string, seq: number, createdAt: number, electorate: Array<[string, number]>, count: number): string[] {
  const salt = `${coordinator}/${seq}/${createdAt}/`
  return electorate.map(([id]) => id).filter(id => id !== coordinator)
    .map(id => ({ id, rank: idToString(contentId(new TextEncoder().encode(salt + id))) }))
    .sort((a, b) => a.rank < b.rank ? -1 : 1).slice(0, count).map(f => f.id)
}

/** The body a coordinator signs: the pinned electorate, algorithm, deadline and ranked closers. */
export function draftProposal (proposer: Proposer, draft: ProposalDraft): ProposalBody {
  const { coordinator } = proposer
  const { createdAt, algorithm } = draft
  return {
    type: 'proposal',
    v: PROTOCOL_VERSION,
    ns: proposer.namespace,
    coordinator,
    seq: draft.seq,
    createdAt,
    deadline: createdAt + draft.timeoutMs,
    step: draft.step,
    electorate: draft.electorate,
    algorithm: { name: draft.algorithmName, kind: algorithm.kind, params: algorithm.params },
    closers: [coordinator, ...rankFallbackClosers(coordinator, draft.seq, createdAt, draft.electorate, proposer.fallbackClosers)],
    payload: draft.payload,
    choices: draft.choices,
    voteChange: draft.voteChange
  }
}
