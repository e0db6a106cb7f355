/**
 * An equivocation the closer did not see before it closed (README, Guarantees: "Equivocation";
 * docs/PROTOCOL.md, step 2). A voter is excluded everywhere only when both of its votes reached the
 * closer whose close is decided; a closer that held one of them counts that one, and every peer
 * accepts its close, because a close is checked against its own evidence, not against what each
 * peer saw. The peers that did see both raise `evidence` with the two signed votes.
 *
 * 5 agents, agent 0 coordinates (the round-0 closer), agent 4's key signs two different votes. The
 * second reaches agents 1–3 only: the network drops every send to agent 0 that carries it.
 */
import { describe, expect, it } from 'vitest'
import { verifyCertificate } from '../src/core/certificate.js'
import { idToString } from '../src/wire/ids.js'
import { feed, finish, makeSwarm, propose, sealVote, type Harness } from './helpers/corpus/harness.js'
import { stopAfterTest } from './helpers/swarm.js'

const CLOSER = 0
const EQUIVOCATOR = 4
/** the honest peers that receive both votes */
const SAW_BOTH = [1, 2, 3]
const HONEST = [CLOSER, ...SAW_BOTH]

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
/** Whether `needle` occurs in `haystack` (a vote travels alone, or inside a pull reply). */
const carries = (haystack: Uint8Array, needle: Uint8Array): boolean => asBuffer(haystack).includes(asBuffer(needle))

async function startHarness (agents: number): Promise<Harness> {
  const h = await makeSwarm(agents)
  stopAfterTest(h.swarm)
  return h
}

describe('an equivocation the closer did not see before it closed', () => {
  it('the close counts the vote its closer held; every honest peer decides on that close, and the peers that saw both raise evidence', async () => {
    const h = await startHarness(5)
    const open = await propose(h, CLOSER, { action: 'equivocate unseen' })
    expect(open.closer(0)).toBe(CLOSER)
    const equivocator = h.ids[EQUIVOCATOR]!
    const first = await sealVote(open, equivocator, 'for')
    const second = await sealVote(open, equivocator, 'against', { metadata: { changed: 'mind' } })

    // the second vote, and every relay or pull reply that carries it, never reaches the closer
    const closer = h.ids[CLOSER]!.peerId
    const record = h.swarm.network.filter!
    h.swarm.network.filter = (from, to, bytes, via) => !(to === closer && carries(bytes, second.bytes)) && record(from, to, bytes, via)
    expect(await feed(h, first.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))
    expect(await feed(h, second.bytes, SAW_BOTH)).toEqual(SAW_BOTH.map(() => ({ result: 'accept', reason: 'equivocation' })))
    // with the equivocator's first vote, two more `for` settle the outcome: the closer closes at once
    for (const i of [1, 2]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)

    // counted: the closer held one vote of it, and nothing is excluded
    expect(result.decision).toBe('approved')
    expect(result.voters).toEqual([1, 2, EQUIVOCATOR].map(i => h.ids[i]!.peerId).sort())
    expect(result.votesFor).toBe(3)
    expect(result.votesAgainst).toBe(0)
    expect(result.metadata.excluded).toBe(0)

    // every honest peer, those that saw both votes included, decided the same with the same certificate
    const decisions = HONEST.map(i => h.swarm.agent(i).decisions.get(open.key))
    for (const [k, decided] of decisions.entries()) {
      expect(decided?.decision, `agent ${HONEST[k]}`).toBe('approved')
      expect(decided?.voters, `agent ${HONEST[k]}`).toEqual(result.voters)
      expect(decided?.certificate?.id, `agent ${HONEST[k]}`).toBe(result.certificate?.id)
    }
    expect(result.certificate).toBeDefined()
    const verified = await verifyCertificate(result.certificate!)
    expect(verified.decision).toBe('approved')
    expect(verified.votes[equivocator.peerId]).toBe('for')

    // the closer never held the pair; each peer that did raised evidence with the two signed votes
    expect(h.evidence[CLOSER]).toEqual([])
    const pair = [first.bytes, second.bytes].map(m => idToString(m)).sort()
    for (const i of SAW_BOTH) {
      const evidence = h.evidence[i] ?? []
      expect(evidence.map(e => e.kind), `agent ${i}`).toEqual(['equivocation'])
      expect(evidence[0]?.offender).toBe(equivocator.peerId)
      expect(evidence[0]?.proposalId).toBe(open.key)
      expect(evidence[0]?.messages.map(m => idToString(m)).sort()).toEqual(pair)
    }
  })
})
