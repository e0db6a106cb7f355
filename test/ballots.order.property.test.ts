/**
 * A proposal with choices, fed signed ballots through the real ProposalState in any delivery order,
 * with duplicates, vote changes and same-seq equivocations: every order gives the same counted
 * ballots, the same winner, scores and decision, and the same close.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { defaultAlgorithms } from '../src/algorithms/index.js'
import { checkProposal } from '../src/core/context.js'
import { ProposalState } from '../src/core/proposal-state.js'
import { simulatedIdentity } from '../src/testing/swarm.js'
import { ballotKind, VotingType, type Ballot } from '../src/types.js'
import type { OpenedProposal, OpenedVote } from '../src/wire/envelope.js'
import { sealTestProposal, sealTestVote } from './helpers/proposals.js'
import type { Identity } from '../src/wire/identity.js'

const N = 6
const kinds = new Map(Object.values(defaultAlgorithms()).map(a => [a.kind, a]))
/** three ballots per voter and type: the first, a change, and a same-seq twin of the first */
const BALLOTS: Record<VotingType, Ballot[]> = {
  'single-choice': [1, 2, 3],
  approval: [[1], [2, 3], [1, 3]],
  'ranked-choice': [[1, 2, 3], [3, 1, 2], [2, 3, 1]],
  weighted: [{ 1: 2, 2: 1 }, { 3: 1 }, { 2: 0.5, 3: 0.25 }],
  quadratic: [{ 1: 2, 2: 1 }, { 3: 1 }, { 2: 0.5, 3: 0.25 }],
  copeland: [[1, 2, 3], [3, 1, 2], [2, 3, 1]]
}
let identities: Identity[]
const proposals = new Map<VotingType, OpenedProposal>()
/** votes[type][voter] = [first (seq 0), change (seq 1), twin of the first (seq 0, another ballot)] */
const votes = new Map<VotingType, OpenedVote[][]>()

beforeAll(async () => {
  identities = await Promise.all(Array.from({ length: N }, async (_, i) => simulatedIdentity(i)))
  const electorate = identities.map((id, i) => [id.peerId, 1 + (i % 3)] as [string, number]).sort((a, b) => a[0] < b[0] ? -1 : 1)
  for (const type of Object.values(VotingType)) {
    const kind = ballotKind(type)
    const proposal = await sealTestProposal(identities[0] as Identity, {
      electorate,
      algorithm: { name: type, kind, params: {} },
      payload: {},
      choices: ['a', 'b', 'c'],
      voteChange: true
    })
    proposals.set(type, proposal)
    const [first, change, twin] = BALLOTS[type] as [Ballot, Ballot, Ballot]
    votes.set(type, await Promise.all(identities.map(async voter => Promise.all(([[first, 0], [change, 1], [twin, 0]] as Array<[Ballot, number]>)
      .map(async ([choice, seq]) => sealTestVote(voter, proposal, choice, seq))))))
  }
})

function state (type: VotingType): ProposalState {
  const ctx = checkProposal(proposals.get(type) as OpenedProposal, k => kinds.get(k))
  if (ctx === undefined) throw new Error('unknown kind')
  return new ProposalState(ctx)
}

// per voter: silent, its first ballot, first then a change, or first and a same-seq twin (equivocation)
const plan = fc.array(fc.constantFrom<number[]>([], [0], [0, 1], [1, 0], [0, 2]), { minLength: N, maxLength: N })

describe('a ballot over choices on ProposalState', () => {
  it.each(Object.values(VotingType))('%s: any delivery order and duplicates give the same count, winner, scores and close', (type) => {
    fc.assert(fc.property(plan, fc.infiniteStream(fc.nat()), fc.integer({ min: 0, max: 3 }), (perVoter, rand, copies) => {
      const sent = perVoter.flatMap((which, voter) => which.map(k => votes.get(type)?.[voter]?.[k] as OpenedVote))
      const shuffled = [...sent, ...sent.slice(0, copies)]
      const it = rand[Symbol.iterator]()
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = (it.next().value as number) % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as OpenedVote, shuffled[i] as OpenedVote]
      }
      const inOrder = state(type)
      const other = state(type)
      for (const v of sent) inOrder.addVote(v)
      for (const v of shuffled) other.addVote(v)
      expect(new Map(other.counted)).toEqual(new Map(inOrder.counted))
      const a = inOrder.evaluate()
      const b = other.evaluate()
      expect([b.outcome, b.final, b.winner, b.ranking, b.scores]).toEqual([a.outcome, a.final, a.winner, a.ranking, a.scores])
      // a voter that changed counts with its change; an equivocator not at all
      perVoter.forEach((which, voter) => {
        const id = identities[voter]?.peerId as string
        const expected = which.includes(2) ? undefined : which.includes(1) ? BALLOTS[type][1] : which.includes(0) ? BALLOTS[type][0] : undefined
        expect(inOrder.counted.get(id)).toEqual(expected)
      })
      const closer = identities[0]?.peerId as string
      expect(other.draftClose(closer, 0, b, 2000)).toEqual(inOrder.draftClose(closer, 0, a, 2000))
    }), { numRuns: 60 })
  })
})
