/**
 * The terminal scenarios' swarm: peers on loopback websockets, built by the library's node builder,
 * dialed pairwise into a full mesh.
 */
import { createConsensusNode, type ConsensusNode } from '../src/agent/node.js'

export { connectFullMesh } from '../src/agent/node.js'
import type { ConsensusInit } from '../src/libp2p/index.js'

export type { ConsensusNode } from '../src/agent/node.js'

/**
 * Start a peer listening on a free 127.0.0.1 port. Every peer listens, so it gets the `hub` preset:
 * each keeps every other in its mesh, and the colocation penalty is waived (they share 127.0.0.1).
 */
export async function startLoopbackPeer (consensus: ConsensusInit = {}): Promise<ConsensusNode> {
  return createConsensusNode({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], consensus })
}

/** Stop every peer. */
export async function stopAll (nodes: ConsensusNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => node.stop()))
}
