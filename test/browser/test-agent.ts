/**
 * One consensus agent as the browser tests drive it, the same code in a tab and in Node: built with
 * `createAgent`, voting by script, remembering every decision it sees.
 */
import { createAgent, type AgentInit, type ConsensusAgent } from '../../src/agent/index.js'
import { WeightedAlgorithm, type ProposalView } from '../../src/index.js'
import { payloadOf, scriptedVoter, summarize, type DecisionSummary, type ProposeRequest } from './summary.js'

/** An agent plus what it decided. */
export interface TestAgent {
  readonly peerId: string
  readonly node: ConsensusAgent
  /** Propose and wait for this coordinator's decision. */
  propose: (request: ProposeRequest) => Promise<DecisionSummary>
  /** The decision this agent reached on a proposal, waiting up to `timeoutMs` for it. */
  decision: (proposalId: string, timeoutMs?: number) => Promise<DecisionSummary>
  /** Whether a connection to this peer is open now. */
  isConnectedTo: (peerId: string) => boolean
  stop: () => Promise<void>
}

/** Start an agent that votes by script (see `scriptedVoter`), `voteDelayMs` after it sees a proposal; `init` goes to `createAgent`. */
export async function startTestAgent (init: AgentInit = {}, voteDelayMs = 0): Promise<TestAgent> {
  let self = ''
  const scripted = scriptedVoter(() => self)
  const voter = voteDelayMs > 0
    ? async (proposal: ProposalView) => { await new Promise(resolve => setTimeout(resolve, voteDelayMs)); return scripted(proposal) }
    : scripted
  const node = await createAgent({ ...init, consensus: { voter, ...init.consensus } })
  self = node.peerId.toString()
  const decisions = new Map<string, Promise<DecisionSummary>>()
  const waiters = new Map<string, Array<() => void>>()
  node.services.consensus.addEventListener('decision', (evt) => {
    decisions.set(evt.detail.proposalId, summarize(evt.detail))
    for (const wake of waiters.get(evt.detail.proposalId) ?? []) wake()
    waiters.delete(evt.detail.proposalId)
  })
  return {
    peerId: self,
    node,
    async propose (request) {
      const algorithm = request.algorithm
      if (request.agentWeights !== undefined) {
        // weights are pinned into the proposal: only the coordinator registers them, peers know the kind
        node.services.consensus.registerAlgorithm(algorithm, new WeightedAlgorithm({ threshold: 0.6, agentWeights: request.agentWeights }))
      }
      const result = await node.services.consensus.requestConsensus(payloadOf(request), {
        algorithm,
        timeoutMs: request.timeoutMs ?? 10_000,
        ...(request.participants === undefined ? {} : { participants: request.participants }),
        ...(request.minPeers === undefined ? {} : { minPeers: request.minPeers })
      })
      return summarize(result)
    },
    async decision (proposalId, timeoutMs = 15_000) {
      if (!decisions.has(proposalId)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => { reject(new Error(`${self} saw no decision on ${proposalId} within ${timeoutMs} ms`)) }, timeoutMs)
          const list = waiters.get(proposalId) ?? []
          list.push(() => { clearTimeout(timer); resolve() })
          waiters.set(proposalId, list)
        })
      }
      return decisions.get(proposalId) as Promise<DecisionSummary>
    },
    isConnectedTo (peerId) {
      return node.getConnections().some(c => c.remotePeer.toString() === peerId && c.status === 'open')
    },
    async stop () { await node.stop() }
  }
}
