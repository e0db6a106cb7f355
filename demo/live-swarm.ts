/**
 * The Node side of the demo's live mode: a hub on loopback websockets and a few Node agents with
 * their own opinions, which vote automatically after a short, human-looking pause. `npm start` runs
 * it next to the page; the end-to-end test runs it next to the built page.
 */
import { createAgent, type ConsensusAgent } from '../src/agent/index.js'
import { createHub, type ConsensusHub } from '../src/hub/index.js'
import { VoteType, type Ballot, type ConsensusResult, type ProposalView } from '../src/index.js'
import { ballotFrom } from './src/ballots.js'
import type { HubInfo } from './src/live/hub-info.js'

/** A Node agent's character. */
export interface NodePersona {
  name: string
  /** how it votes, in words */
  opinion: string
  decide(proposal: ProposalView): VoteType
  /** its preference over a proposal's choices, best first (1-based) */
  prefer(choiceCount: number): number[]
}

const inOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

/** How a persona answers: a vote on a yes/no proposal, a ballot of the pinned voting type (from its preference) on one with choices. */
export function personaBallot (persona: NodePersona, proposal: ProposalView): Ballot {
  if (proposal.choices.length === 0 || proposal.votingType === undefined) return persona.decide(proposal)
  return ballotFrom(proposal.votingType, persona.prefer(proposal.choices.length))
}

/** Three agents that disagree in readable ways, so a tab's own vote often tips the balance. */
export const nodePersonas: NodePersona[] = [
  { name: 'optimist', opinion: 'votes for everything; over choices, the first first', decide: () => VoteType.For, prefer: inOrder },
  {
    name: 'cautious',
    opinion: 'against production or high risk; over choices, the last first',
    decide: (p) => p.payload.target === 'production' || p.payload.risk_level === 'high' ? VoteType.Against : VoteType.For,
    prefer: (n) => inOrder(n).reverse()
  },
  {
    name: 'auditor',
    opinion: 'for when a version is named, else abstains; over choices, the second first',
    decide: (p) => typeof p.payload.version === 'string' ? VoteType.For : VoteType.Abstain,
    prefer: (n) => n < 2 ? inOrder(n) : [2, 1, ...inOrder(n).slice(2)]
  }
]

/** A running hub with its Node agents. */
export interface LiveSwarm {
  hub: ConsensusHub
  agents: ConsensusAgent[]
  /** what `/hub.json` serves */
  info: HubInfo
  /** every decision each Node agent reached, by proposal id */
  decisions: Array<Map<string, ConsensusResult>>
  stop(): Promise<void>
}

/** Options of {@link startLiveSwarm}. */
export interface LiveSwarmInit {
  /** the hub's websocket port (0: any free one) */
  port?: number
  /** the longest pause before a Node agent votes, ms (0: at once) */
  thinkMs?: number
}

/** Start a hub on 127.0.0.1 and one Node agent per persona, connected to it. */
export async function startLiveSwarm (init: LiveSwarmInit = {}): Promise<LiveSwarm> {
  const thinkMs = init.thinkMs ?? 1500
  const hub = await createHub({ port: init.port ?? 0 })
  const address = hub.multiaddrs[0]
  if (address === undefined) throw new Error('the hub has no address')
  const decisions = nodePersonas.map(() => new Map<string, ConsensusResult>())
  const agents = await Promise.all(nodePersonas.map(async (persona, i) => {
    const agent = await createAgent({
      hubs: [address],
      consensus: {
        voter: async (proposal) => {
          if (thinkMs > 0) await new Promise(resolve => setTimeout(resolve, 300 + Math.random() * (thinkMs - 300)))
          return personaBallot(persona, proposal)
        }
      }
    })
    agent.services.consensus.addEventListener('decision', (evt) => { decisions[i]?.set(evt.detail.proposalId, evt.detail) })
    return agent
  }))
  const info: HubInfo = {
    hub: address,
    agents: agents.map((agent, i) => ({
      peerId: agent.peerId.toString(),
      name: nodePersonas[i]?.name ?? `agent-${i}`,
      opinion: nodePersonas[i]?.opinion ?? ''
    }))
  }
  return {
    hub,
    agents,
    info,
    decisions,
    stop: async () => {
      await Promise.all(agents.map(async agent => agent.stop()))
      await hub.stop()
    }
  }
}
