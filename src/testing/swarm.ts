import { InvalidParametersError } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { ConsensusManager, type ConsensusManagerInit, type Voter } from '../core/manager.js'
import { loadKey } from '../core/store.js'
import { MemoryNetwork, type MemoryNetworkInit } from './memory-network.js'
import { createIdentity, type Identity } from '../wire/identity.js'
import { SeededRandom } from './random.js'
import { macrotask, VirtualClock } from './virtual-clock.js'
import type { ConsensusResult, ProposalView } from '../core/results.js'
import type { MemoryDatastore } from 'datastore-core'
import type { Ballot, VoteType } from '../types.js'

const identities: Array<Promise<Identity>> = []

type RequestArgs = Parameters<ConsensusManager['requestConsensus']>

/** {@link SimulatedSwarm.request} ended without a result: the request failed, or virtual time ran out of timers first. */
export class NoResultError extends Error {
  static override name = 'NoResultError'
  /** `'NoResultError'` */
  override name = 'NoResultError'
}

/**
 * The i-th simulated agent's identity: an Ed25519 key derived from its index, the same in every run
 * and shared process-wide (key generation would otherwise dominate thousands of seeded trials).
 */
export async function simulatedIdentity (index: number): Promise<Identity> {
  identities[index] ??= createIdentity(sha256(new TextEncoder().encode(`libp2p-consensus simulated agent ${index}`)))
  return identities[index] as Promise<Identity>
}

/** One simulated agent. */
export interface SimulatedAgent {
  /** its index in the swarm */
  index: number
  /** its Ed25519 identity (the same for an index in every run) */
  identity: Identity
  /** its running manager (replaced on restart) */
  manager: ConsensusManager
  /** this agent's clock offset from shared time, ms */
  skewMs: number
  /** decisions this agent reached, by proposal id */
  decisions: Map<string, ConsensusResult>
  /** whether it is crashed now */
  crashed: boolean
  /** what the agent keeps across restarts; `undefined` for an agent that is not {@link SwarmInit.persistent} */
  datastore: MemoryDatastore | undefined
}

/** Options of {@link SimulatedSwarm.create}. */
export interface SwarmInit extends MemoryNetworkInit {
  /** How many agents. */
  agents: number
  /** How agent `index` answers a proposal (a ballot on one with choices); `undefined` means it does not vote. Default: everyone votes for. */
  vote?: (index: number, proposal: ProposalView) => Ballot | undefined
  /** Each agent's clock is off by a seeded amount in [-skewMs, +skewMs]. */
  skewMs?: number
  /**
   * Which agents keep their messages in a datastore, so that {@link SimulatedSwarm.restart} can bring
   * them back. Default: every agent. A large swarm in a browser, where building a datastore key costs
   * a `TextEncoder` and a `TextDecoder` per message, runs markedly faster keeping only the agents it
   * may crash.
   */
  persistent?: (index: number) => boolean
  /** Passed to every manager (algorithms, namespace, fallbackClosers, …). */
  manager?: Omit<ConsensusManagerInit, 'identity' | 'coordinator' | 'clock' | 'voter'>
}

/**
 * A whole swarm in one process on a {@link MemoryNetwork} in virtual time: deterministic from its
 * seed, fast (a 30 s proposal takes as long as its CPU work), with every fault knob of the network.
 *
 * @example
 * ```ts
 * const swarm = await SimulatedSwarm.create({ agents: 20, seed: 7, loss: 0.1, latencyMs: [5, 80] })
 * const result = await swarm.request(0, { action: 'deploy' }, { timeoutMs: 2000 })
 * ```
 */
export class SimulatedSwarm {
  /** the shared virtual clock */
  readonly clock: VirtualClock
  /** the network every agent is on */
  readonly network: MemoryNetwork
  /** every agent, by index */
  readonly agents: SimulatedAgent[]

  private readonly init: SwarmInit

  private constructor (clock: VirtualClock, network: MemoryNetwork, agents: SimulatedAgent[], init: SwarmInit) {
    this.clock = clock
    this.network = network
    this.agents = agents
    this.init = init
  }

  /** Build and start a swarm. */
  static async create (init: SwarmInit): Promise<SimulatedSwarm> {
    const clock = new VirtualClock(1_000_000)
    const network = new MemoryNetwork({ ...init, clock })
    const random = new SeededRandom((init.seed ?? 0) * 7919 + 17)
    // loaded here, not at import: it brings interface-datastore's Key and multiformats' every base
    // into the initial bundle of every browser app that imports the package
    const { MemoryDatastore } = await import('datastore-core')
    // the store's lazily imported Key too, before any timer runs: a save that waits for a real
    // import mid-simulation made the first run in a process differ from every later one
    await loadKey()
    const agents: SimulatedAgent[] = []
    for (let index = 0; index < init.agents; index++) {
      const identity = await simulatedIdentity(index)
      const skewMs = init.skewMs === undefined || init.skewMs === 0 ? 0 : Math.round((random.next() * 2 - 1) * init.skewMs)
      const manager = undefined as unknown as ConsensusManager // set by boot()
      const datastore = init.persistent === undefined || init.persistent(index) ? new MemoryDatastore() : undefined
      agents.push({ index, identity, manager, skewMs, decisions: new Map(), crashed: false, datastore })
    }
    const swarm = new SimulatedSwarm(clock, network, agents, init)
    for (const agent of agents) await swarm.boot(agent)
    return swarm
  }

  /** (Re)create an agent's manager on its identity, clock skew and datastore, and start it. */
  private async boot (agent: SimulatedAgent): Promise<void> {
    const vote = this.init.vote ?? (() => 'for' as VoteType)
    const voter: Voter = (proposal) => vote(agent.index, proposal)
    agent.manager = new ConsensusManager({
      ...this.init.manager,
      identity: agent.identity,
      coordinator: this.network.join(agent.identity.peerId),
      clock: this.clock.skewed(agent.skewMs),
      datastore: agent.datastore,
      voter
    })
    agent.manager.addEventListener('decision', (evt) => { agent.decisions.set(evt.detail.proposalId, evt.detail) })
    await agent.manager.start()
  }

  /**
   * Restart agent `index` as a fresh process would: a new manager with the same key and datastore
   * (its memory is gone; what it stored is not), rejoining the network.
   */
  async restart (index: number): Promise<void> {
    const agent = this.agent(index)
    // without its datastore it would come back with no memory of what it signed, free to sign again
    if (agent.datastore === undefined) throw new InvalidParametersError(`agent ${index} is not persistent (SwarmInit.persistent): it cannot restart`)
    await agent.manager.stop()
    this.network.leave(agent.identity.peerId)
    agent.crashed = false
    await this.boot(agent)
  }

  /** Agent by index. */
  agent (index: number): SimulatedAgent {
    const agent = this.agents[index]
    if (agent === undefined) throw new RangeError(`no agent ${index}; the swarm has ${this.agents.length}`)
    return agent
  }

  /**
   * Let agent `index` request consensus and run virtual time until it has an answer. Resolves with
   * the requester's result; throws {@link NoResultError} if the request failed (the requester crashed
   * or stopped, or the request was refused) or nothing was left to run before it had a result.
   */
  async request (index: number, proposal: RequestArgs[0], options: RequestArgs[1] = {}): Promise<ConsensusResult> {
    let outcome: { result: ConsensusResult } | { error: unknown } | undefined
    const answered = (): boolean => outcome !== undefined
    void this.agent(index).manager.requestConsensus(proposal, options)
      .then(result => { outcome = { result } }, (error: unknown) => { outcome = { error } })
    await macrotask()
    while (!answered() && this.clock.pending > 0) await this.clock.runUntil(this.clock.now() + 50)
    if (!answered()) await macrotask()
    if (outcome === undefined) {
      throw new NoResultError(`agent ${index}'s request has no result and no timer is left to run in virtual time (at ${this.clock.now()} ms)`)
    }
    if ('error' in outcome) {
      const { error } = outcome
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      throw new NoResultError(`agent ${index}'s request failed before a result (${why})`, { cause: error })
    }
    return outcome.result
  }

  /**
   * Heal every partition, as reconnecting libp2p peers would: each agent asks up to three peers it
   * could not reach before, and can now, for the decisions it missed (the service does this when a
   * peer subscribes again).
   */
  async heal (): Promise<void> {
    const before = this.agents.map(a => this.agents.map(b => this.network.reachable(a.identity.peerId, b.identity.peerId)))
    this.network.heal()
    for (const [i, agent] of this.agents.entries()) {
      if (agent.crashed) continue
      const rejoined = this.agents.filter((b, j) =>
        j !== i && !b.crashed && before[i]?.[j] === false && this.network.reachable(agent.identity.peerId, b.identity.peerId))
      for (const peer of rejoined.slice(0, 3)) await agent.manager.catchUp(peer.identity.peerId)
    }
  }

  /** Crash agent `index`: the network drops its traffic and its manager stops. */
  async crash (index: number): Promise<void> {
    const agent = this.agent(index)
    agent.crashed = true
    this.network.crash(agent.identity.peerId)
    await agent.manager.stop()
  }

  /** Run until no timer is left, or at most `ms` more of virtual time. */
  async settle (ms = 10 * 60_000): Promise<void> {
    await macrotask()
    await this.clock.runUntilIdle(this.clock.now() + ms)
  }

  /** Stop every agent. */
  async stop (): Promise<void> {
    for (const agent of this.agents) await agent.manager.stop()
  }
}
