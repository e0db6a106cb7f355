/**
 * A hub on 127.0.0.1 and a few Node agents behind it, each voting by its own rule after a short
 * pause: what the demo's live mode runs next to the page, for tests that drive a page against it.
 */
import { createAgent, type ConsensusAgent } from '../../src/agent/index.js'
import { createHub, type ConsensusHub } from '../../src/hub/index.js'
import type { Ballot, ConsensusResult, ProposalView } from '../../src/index.js'

/** One Node agent's voting rule: a vote, or a ballot on a proposal with choices. */
export type VotingRule = (proposal: ProposalView) => Ballot

/** A running hub with its Node agents. */
export interface LiveSwarm {
  hub: ConsensusHub
  /** a multiaddr of the hub, ending in /p2p/<hub peer id> */
  hubAddr: string
  agents: ConsensusAgent[]
  /** every decision each Node agent reached, by proposal id */
  decisions: Array<Map<string, ConsensusResult>>
  stop(): Promise<void>
}

/** Options of {@link startLiveSwarm}. */
export interface LiveSwarmInit {
  /** one agent per rule */
  rules: VotingRule[]
  /** the longest pause before an agent votes, ms (0: at once) */
  thinkMs?: number
}

/** Start a hub on a free port and one agent per rule, connected to it. */
export async function startLiveSwarm (init: LiveSwarmInit): Promise<LiveSwarm> {
  const thinkMs = init.thinkMs ?? 0
  const hub = await createHub()
  const hubAddr = hub.multiaddrs[0]
  if (hubAddr === undefined) throw new Error('the hub has no address')
  const decisions = init.rules.map(() => new Map<string, ConsensusResult>())
  const agents: ConsensusAgent[] = []
  try {
    for (const [i, rule] of init.rules.entries()) {
      const agent = await createAgent({
        hubs: [hubAddr],
        consensus: {
          voter: async (proposal) => {
            if (thinkMs > 0) await new Promise(resolve => setTimeout(resolve, 300 + Math.random() * Math.max(0, thinkMs - 300)))
            return rule(proposal)
          }
        }
      })
      agent.services.consensus.addEventListener('decision', (evt) => { decisions[i]?.set(evt.detail.proposalId, evt.detail) })
      agents.push(agent)
    }
  } catch (err) {
    await Promise.all(agents.map(async agent => agent.stop()))
    await hub.stop()
    throw err
  }
  return {
    hub,
    hubAddr,
    agents,
    decisions,
    stop: async () => {
      await Promise.all(agents.map(async agent => agent.stop()))
      await hub.stop()
    }
  }
}
