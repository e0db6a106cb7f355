/**
 * Real libp2p consensus nodes for the integration tests and the latency benchmark, built by the
 * library's one node builder: on loopback websockets, or on the in-process memory transport (a
 * devDependency, so it is passed in here rather than shipped by the library).
 */
import { memory } from '@libp2p/memory'
import { webSockets } from '@libp2p/websockets'
import { createConsensusNode, type ConsensusNode, type ConsensusNodeInit } from '../../src/agent/node.js'

export { connectFullMesh } from '../../src/agent/node.js'

export type { ConsensusNode } from '../../src/agent/node.js'

/** How to build one test node: the builder's options, plus which transport to listen on. */
export interface TestNodeInit extends Omit<ConsensusNodeInit, 'listen' | 'transports' | 'services'> {
  transport: 'memory' | 'websockets'
  /** websockets: the port to listen on (0 = any) */
  port?: number
}

let memoryNames = 0

/**
 * Start a node listening on 127.0.0.1 websockets or a fresh memory address. Every node listens,
 * so the preset defaults to `hub`: these small swarms dial every pair, and the hub preset keeps
 * all peers in the mesh and waives the colocation penalty (they all share 127.0.0.1).
 */
export async function startNode (init: TestNodeInit): Promise<ConsensusNode> {
  const { transport, port, ...rest } = init
  return createConsensusNode({
    ...rest,
    listen: [transport === 'memory' ? `/memory/consensus-${process.pid}-${memoryNames++}` : `/ip4/127.0.0.1/tcp/${port ?? 0}/ws`],
    transports: [transport === 'memory' ? memory() : webSockets()]
  })
}

/** Stop every node. */
export async function stopAll (nodes: ConsensusNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => node.stop()))
}
