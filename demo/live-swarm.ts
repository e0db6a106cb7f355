/**
 * The Node side of the demo's live mode: two linked hubs on loopback websockets and a few named
 * Node agents with their own opinions, connected to both, which vote automatically a few seconds
 * into a proposal's voting period (a person has time to vote first, and may change their vote
 * until the period ends). `npm start` runs it next to the page.
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

/** Running hubs with their Node agents. */
export interface LiveSwarm {
  hubs: ConsensusHub[]
  agents: ConsensusAgent[]
  /** what `/hub.json` serves */
  info: HubInfo
  /** every decision each Node agent reached, by proposal id */
  decisions: Array<Map<string, ConsensusResult>>
  stop(): Promise<void>
}

/** Options of {@link startLiveSwarm}. */
export interface LiveSwarmInit {
  /** the first hub's websocket port (0: any free one); the second hub takes the next one */
  port?: number
  /** how many hubs, linked to each other (the page keeps working while one of them is up) */
  hubCount?: number
  /** the longest pause before a Node agent votes, ms (0: at once); never more than half the voting period */
  thinkMs?: number
}

/** How long a persona waits before voting: a few seconds, at most half of what is left of the voting period. */
export function thinkTime (proposal: ProposalView, thinkMs: number, now = Date.now()): number {
  if (thinkMs <= 0) return 0
  const longest = Math.min(thinkMs, Math.max(0, (proposal.deadline - now) / 2))
  return longest * (0.5 + Math.random() / 2)
}

/** Start linked hubs on 127.0.0.1 and one named Node agent per persona, connected to every hub. */
export async function startLiveSwarm (init: LiveSwarmInit = {}): Promise<LiveSwarm> {
  const thinkMs = init.thinkMs ?? 6000
  const hubs: ConsensusHub[] = []
  for (let i = 0; i < (init.hubCount ?? 2); i++) {
    const port = init.port === undefined || init.port === 0 ? 0 : init.port + i
    // a backbone: each later hub links to the ones before it, so gossip crosses between them
    hubs.push(await createHub({ port, peers: hubs.map(h => h.multiaddrs[0] ?? '') }))
  }
  const addresses = hubs.map(hub => hub.multiaddrs[0]).filter((a): a is string => a !== undefined)
  if (addresses.length !== hubs.length) throw new Error('a hub has no address')
  const decisions = nodePersonas.map(() => new Map<string, ConsensusResult>())
  const agents = await Promise.all(nodePersonas.map(async (persona, i) => {
    const agent = await createAgent({
      hubs: addresses,
      consensus: {
        // announced in the agent's signed presence: every tab lists it by this name
        name: persona.name,
        role: 'Node agent',
        voter: async (proposal: ProposalView) => {
          const wait = thinkTime(proposal, thinkMs)
          if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
          return personaBallot(persona, proposal)
        }
      }
    })
    agent.services.consensus.addEventListener('decision', (evt) => { decisions[i]?.set(evt.detail.proposalId, evt.detail) })
    return agent
  }))
  const info: HubInfo = {
    hubs: addresses,
    agents: agents.map((agent, i) => ({
      peerId: agent.peerId.toString(),
      name: nodePersonas[i]?.name ?? `agent-${i}`,
      opinion: nodePersonas[i]?.opinion ?? ''
    }))
  }
  return {
    hubs,
    agents,
    info,
    decisions,
    stop: async () => {
      await Promise.all(agents.map(async agent => agent.stop()))
      await Promise.all(hubs.map(async hub => hub.stop()))
    }
  }
}
