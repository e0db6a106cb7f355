/**
 * Hubs on 127.0.0.1 (linked into a backbone when there are several) and a few named Node agents
 * behind them, each voting by its own rule after a short pause: what the demo's live mode runs next
 * to the page, for tests that drive a page against it.
 */
import { createAgent, type ConsensusAgent } from '../../src/agent/index.js'
import { createHub, type ConsensusHub } from '../../src/hub/index.js'
import type { Ballot, ConsensusResult, ProposalView } from '../../src/index.js'

/** One Node agent's voting rule: a vote, or a ballot on a proposal with choices. */
export type VotingRule = (proposal: ProposalView) => Ballot

/** Running hubs with their Node agents. */
export interface LiveSwarm {
  /** the first hub */
  hub: ConsensusHub
  /** a multiaddr of the first hub, ending in /p2p/<hub peer id> */
  hubAddr: string
  hubs: ConsensusHub[]
  /** one multiaddr per hub */
  hubAddrs: string[]
  agents: ConsensusAgent[]
  /** every decision each Node agent reached, by proposal id */
  decisions: Array<Map<string, ConsensusResult>>
  stop(): Promise<void>
}

/** Options of {@link startLiveSwarm}. */
export interface LiveSwarmInit {
  /** one agent per rule */
  rules: VotingRule[]
  /** the name each agent announces (by rule index) */
  names?: string[]
  /** the longest pause before an agent votes, ms (0: at once) */
  thinkMs?: number
  /** how many hubs, linked by `peers` (agents spread over them and fail over) */
  hubCount?: number
}

/** Start hubs on free ports and one agent per rule, on them. */
export async function startLiveSwarm (init: LiveSwarmInit): Promise<LiveSwarm> {
  const thinkMs = init.thinkMs ?? 0
  const hubs: ConsensusHub[] = []
  for (let i = 0; i < (init.hubCount ?? 1); i++) hubs.push(await createHub({ peers: hubs.map(h => h.multiaddrs[0] ?? '') }))
  const hubAddrs = hubs.map(h => h.multiaddrs[0] ?? '')
  const [hub] = hubs
  const [hubAddr] = hubAddrs
  if (hub === undefined || hubAddr === undefined || hubAddrs.includes('')) throw new Error('a hub has no address')
  const decisions = init.rules.map(() => new Map<string, ConsensusResult>())
  const agents: ConsensusAgent[] = []
  const stopHubs = async (): Promise<void> => { await Promise.all(hubs.map(async h => h.stop())) }
  try {
    for (const [i, rule] of init.rules.entries()) {
      const name = init.names?.[i]
      const agent = await createAgent({
        hubs: hubAddrs,
        consensus: {
          ...(name === undefined ? {} : { name }),
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
    await stopHubs()
    throw err
  }
  return {
    hub,
    hubAddr,
    hubs,
    hubAddrs,
    agents,
    decisions,
    stop: async () => {
      await Promise.all(agents.map(async agent => agent.stop()))
      await stopHubs()
    }
  }
}
