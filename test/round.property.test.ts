import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { defaultAlgorithms } from '../src/algorithms/index.js'
import { checkProposal } from '../src/core/context.js'
import { ProposalState } from '../src/core/proposal-state.js'
import { simulatedIdentity } from '../src/testing/swarm.js'
import { VoteType, type CborRecord } from '../src/types.js'
import type { OpenedProposal, OpenedVote } from '../src/wire/envelope.js'
import { sealTestProposal, sealTestVote } from './helpers/proposals.js'
import type { Identity } from '../src/wire/identity.js'

const N = 9
const CHOICES = [VoteType.For, VoteType.Against, VoteType.Abstain]
const kinds = new Map(Object.values(defaultAlgorithms()).map(a => [a.kind, a]))
let identities: Identity[]
const proposals = new Map<string, OpenedProposal>()
/** votes[kind][voter][choice] */
const votes = new Map<string, OpenedVote[][]>()

beforeAll(async () => {
  identities = await Promise.all(Array.from({ length: N }, async (_, i) => simulatedIdentity(i)))
  const electorate = identities.map((id, i) => [id.peerId, 1 + (i % 3)] as [string, number]).sort((a, b) => a[0] < b[0] ? -1 : 1)
  const pinned: Array<[string, CborRecord]> = [['quorum', { threshold: [1, 2] }], ['weighted', { threshold: [3, 5] }], ['unanimous', {}], ['supermajority', {}]]
  for (const [kind, params] of pinned) {
    const proposal = await sealTestProposal(identities[0] as Identity, {
      electorate,
      algorithm: { name: kind, kind, params },
      payload: { kind },
      choices: [],
      voteChange: false
    })
    proposals.set(kind, proposal)
    votes.set(kind, await Promise.all(identities.map(async voter =>
      Promise.all(CHOICES.map(async (choice): Promise<OpenedVote> => sealTestVote(voter, proposal, choice))))))
  }
})

function newRound (kind: string): ProposalState {
  const ctx = checkProposal(proposals.get(kind) as OpenedProposal, k => kinds.get(k))
  if (ctx === undefined) throw new Error('unknown kind')
  return new ProposalState(ctx)
}

// per voter: silent, one vote, or two different votes (equivocation)
const ballot = fc.array(fc.oneof(
  fc.constant<number[]>([]),
  fc.integer({ min: 0, max: 2 }).map(c => [c]),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 })).map(([c, d]) => [c, (c + d) % 3])
), { minLength: N, maxLength: N })

describe('a round over signed votes', () => {
  it('reaches the same tally, outcome and close under any delivery order and any duplicates', async () => {
    for (const kind of ['quorum', 'weighted', 'unanimous', 'supermajority']) {
      const pool = votes.get(kind) as OpenedVote[][]
      fc.assert(fc.property(ballot, fc.array(fc.nat(), { maxLength: 30 }), fc.nat(), (cast, duplicates, shuffleSeed) => {
        const messages = cast.flatMap((choices, voter) => choices.map(c => (pool[voter] as OpenedVote[])[c] as OpenedVote))
        const delivered = [...messages, ...duplicates.filter(() => messages.length > 0).map(d => messages[d % messages.length] as OpenedVote)]
        // a seeded Fisher–Yates shuffle of the deliveries
        let s = shuffleSeed
        for (let i = delivered.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) % 2147483648
          const j = s % (i + 1);
          [delivered[i], delivered[j]] = [delivered[j] as OpenedVote, delivered[i] as OpenedVote]
        }
        const inOrder = newRound(kind)
        for (const m of messages) inOrder.addVote(m)
        const shuffled = newRound(kind)
        for (const m of delivered) shuffled.addVote(m)

        expect(shuffled.tally).toEqual(inOrder.tally)
        expect(shuffled.evaluate().outcome).toBe(inOrder.evaluate().outcome)
        expect([...shuffled.equivocations.keys()].sort()).toEqual([...inOrder.equivocations.keys()].sort())
        // equivocators are excluded, everyone else counted once
        const expectedCounted = cast.flatMap((choices, voter) => choices.length === 1 ? [identities[voter]?.peerId] : []).sort()
        expect([...shuffled.counted.keys()].sort()).toEqual(expectedCounted)
        // the close each would sign is the same bytes, and it verifies on the other
        const a = inOrder.draftClose(identities[0]?.peerId as string, 0, inOrder.evaluate(), 2000)
        const b = shuffled.draftClose(identities[0]?.peerId as string, 0, shuffled.evaluate(), 2000)
        expect(b).toEqual(a)
      }), { numRuns: 150 })
    }
  })

  it('a settled outcome stays settled as more votes arrive', () => {
    const pool = votes.get('quorum') as OpenedVote[][]
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: N, maxLength: N }), fc.nat({ max: N }), (choices, prefix) => {
      const round = newRound('quorum')
      let settled: string | undefined
      choices.forEach((c, voter) => {
        round.addVote((pool[voter] as OpenedVote[])[c] as OpenedVote)
        const outcome = round.evaluate().outcome
        if (settled !== undefined) expect(outcome).toBe(settled)
        else if (outcome !== 'pending' && voter >= prefix) settled = outcome
      })
    }), { numRuns: 300 })
  })
})
