/**
 * A coordinator that proposes just as its hub stops: the proposal goes out into the closing
 * connection and reaches nobody. Once the coordinator has failed over to the other hub, that hub's
 * catch-up request makes the coordinator hand it its open proposals (and its own vote), which the hub
 * relays to the members behind it — so the swarm decides in well under a second, instead of waiting
 * for the coordinator's resend halfway to the deadline (7 s after a 5 s-deadline request, before).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { createHub, type ConsensusHub } from '../src/hub/index.js'

const AGENTS = 6
/** a long deadline: its resend (halfway) would come only after 15 s */
const TIMEOUT_MS = 30_000

describe('proposing while the coordinator\'s hub stops', () => {
  let hubA: ConsensusHub
  let hubB: ConsensusHub
  let agents: ConsensusAgent[]
  /** agent → when it first saw each proposal (ms since epoch) */
  const seenAt = new Map<ConsensusAgent, Map<string, number>>()

  beforeAll(async () => {
    hubA = await createHub()
    hubB = await createHub({ peers: hubA.multiaddrs })
    const hubs = [...hubA.multiaddrs, ...hubB.multiaddrs]
    agents = await Promise.all(Array.from({ length: AGENTS }, async () => createAgent({ hubs, consensus: { voter: () => 'for' } })))
    for (const agent of agents) {
      const seen = new Map<string, number>()
      seenAt.set(agent, seen)
      agent.services.consensus.addEventListener('proposal', (evt) => { if (!seen.has(evt.detail.id)) seen.set(evt.detail.id, Date.now()) })
    }
    await Promise.all(agents.map(async a => a.services.consensus.waitForPeers(AGENTS - 1, { timeoutMs: 10_000 })))
  }, 30_000)

  afterAll(async () => {
    await Promise.allSettled([...agents, hubB, hubA].map(async n => { await n.stop() }))
  })

  it('the proposal reaches every agent through the next hub at once, and is decided long before the resend', async () => {
    // rendezvous hashing spreads the agents over both hubs: take one of hub A's as the coordinator
    const coordinator = agents.find(a => a.getConnections().some(c => c.remotePeer.toString() === hubA.peerId))
    expect(coordinator, 'an agent behind hub A').toBeDefined()
    await hubA.stop()
    const asked = Date.now()
    const result = await coordinator!.services.consensus.requestConsensus({ action: 'failover' }, { algorithm: 'quorum', timeoutMs: TIMEOUT_MS })
    const took = Date.now() - asked
    expect(result.decision).toBe('approved')
    expect(result.participants).toHaveLength(AGENTS)
    expect(result.votesFor).toBeGreaterThanOrEqual(AGENTS / 2 + 1)
    // decided by the votes, not at the deadline nor after the halfway resend (15 s)
    expect(took).toBeLessThan(TIMEOUT_MS / 4)
    for (const agent of agents) {
      const at = seenAt.get(agent)!.get(result.proposalId)
      expect(at, 'every agent saw the proposal').toBeDefined()
      expect(at! - asked).toBeLessThan(TIMEOUT_MS / 4)
    }
  }, 60_000)
})
