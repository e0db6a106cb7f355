/**
 * Building real libp2p consensus nodes for the demo, the integration tests and the benchmark: one
 * place that picks transports and wires gossipsub, identify and the consensus service together.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { memory } from '@libp2p/memory'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2p } from 'libp2p'
import { connectionManagerOptions, consensus, consensusGossipsub, type ConsensusPubSub, type ConsensusService, type ConsensusServiceInit, type GossipsubPreset } from '../src/libp2p/index.js'
import type { Identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A libp2p node running the consensus service. */
export type ConsensusNode = Libp2p<{ identify: Identify, pubsub: ConsensusPubSub, consensus: ConsensusService }>

/** How to build one node. */
export interface NodeOptions {
  transport: 'memory' | 'websockets'
  /** websockets: port to listen on (0 = any); memory: a unique name */
  listen?: string
  preset?: GossipsubPreset
  consensus?: ConsensusServiceInit
  /** the node's key (a fresh Ed25519 key if absent) */
  privateKey?: PrivateKey
  /** the node's datastore; the consensus service keeps its state there */
  datastore?: Datastore
}

let memoryNames = 0

/** Start a node listening on loopback websockets or the in-process memory transport. */
export async function createConsensusNode (options: NodeOptions): Promise<ConsensusNode> {
  const preset = options.preset ?? 'hub'
  const listen = options.transport === 'memory'
    ? `/memory/consensus-${process.pid}-${memoryNames++}`
    : `/ip4/127.0.0.1/tcp/${options.listen ?? '0'}/ws`
  return createLibp2p({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    ...(options.datastore === undefined ? {} : { datastore: options.datastore }),
    addresses: { listen: [listen] },
    transports: [options.transport === 'memory' ? memory() : webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: connectionManagerOptions(preset),
    services: {
      identify: identify(),
      // every node of these small swarms dials every other: the hub preset keeps them all in the mesh
      // and waives the colocation penalty (they all share 127.0.0.1)
      pubsub: consensusGossipsub({ preset }),
      consensus: consensus(options.consensus)
    }
  })
}

/** Dial every pair, a few dials at a time, then wait until each node sees all others on the topic. */
export async function connectFullMesh (nodes: ConsensusNode[], timeoutMs = 20_000): Promise<void> {
  const pairs: Array<[ConsensusNode, ConsensusNode]> = []
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) pairs.push([nodes[i] as ConsensusNode, nodes[j] as ConsensusNode])
  const parallel = 8
  for (let k = 0; k < pairs.length; k += parallel) {
    await Promise.all(pairs.slice(k, k + parallel).map(async ([a, b]) => a.dial(b.getMultiaddrs())))
  }
  await Promise.all(nodes.map(async node => node.services.consensus.coordinator.waitForPeers(nodes.length - 1, { timeoutMs, neighbours: true })))
}

/** Stop every node. */
export async function stopAll (nodes: ConsensusNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => node.stop()))
}
