/**
 * @packageDocumentation
 *
 * Tools for testing and simulating swarms without libp2p: an in-memory network with seeded faults,
 * a virtual clock, seeded randomness, and a swarm of managers that runs in virtual time.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from 'libp2p-consensus/testing'
 * const network = new MemoryNetwork({ latencyMs: [1, 20] })
 * ```
 *
 * @module libp2p-consensus/testing
 */
export {
  MemoryNetwork, type MemoryNetworkInit, type NetworkFaults, type NetworkCounters, type TraceEvent, type SendFilter, type NetworkMonitor, type SendKind,
  type Reachability
} from './memory-network.js'
export { VirtualClock } from './virtual-clock.js'
export { SeededRandom } from './random.js'
export { SimulatedSwarm, NoResultError, simulatedIdentity, type SimulatedAgent, type SwarmInit } from './swarm.js'
