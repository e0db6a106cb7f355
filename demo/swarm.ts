/**
 * The terminal scenarios' swarm: peers on loopback websockets, built by the library's node builder,
 * dialed pairwise into a full mesh.
 */
import { createConsensusNode, type ConsensusNode } from '../src/agent/node.js'
import type { ConsensusInit } from '../src/libp2p/index.js'

export type { ConsensusNode } from '../src/agent/node.js'

/**
 * Start a peer listening on a free 127.0.0.1 port. Every peer listens, so it gets the `hub` preset:
 * each keeps every other in its mesh, and the colocation penalty is waived (they share 127.0.0.1).
 */
export async function startLoopbackPeer (consensus: ConsensusInit = {}): Promise<ConsensusNode> {
  return createConsensusNode({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus })
}

/** Dial every pair, a few dials at a time, then wait until each peer sees all others on the topic. */
export async function connectFullMesh (nodes: ConsensusNode[], timeoutMs = 20_000): Promise<void> {
  const pairs: Array<[ConsensusNode, ConsensusNode]> = []
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) pairs.push([nodes[i] as ConsensusNode, nodes[j] as ConsensusNode])
  const parallel = 8
  for (let k = 0; k < pairs.length; k += parallel) {
    await Promise.all(pairs.slice(k, k + parallel).map(async ([a, b]) => a.dial(b.getMultiaddrs())))
  }
  await Promise.all(nodes.map(async node => node.services.consensus.waitForPeers(nodes.length - 1, { timeoutMs, neighbours: true })))
}

/** Stop every peer. */
export async function stopAll (nodes: ConsensusNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => node.stop()))
}
