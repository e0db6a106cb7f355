/**
 * The two kinds of round bench/latency.ts interleaves on the same libp2p nodes: a raw gossipsub
 * round (the baseline) and a consensus round, plus building the swarm and waiting for it to go quiet.
 */
import { performance } from 'node:perf_hooks'
import { memory, type MemoryTransportComponents } from '@libp2p/memory'
import { createConsensusNode } from '../src/agent/node.js'
import { connectFullMesh, startNode, stopAll, type ConsensusNode } from '../test/helpers/libp2p-nodes.js'
import { VoteType, type ConsensusResult } from '../src/index.js'
import { limited, log, sleep } from './util.js'
import type {
  AbortOptions, CreateListenerOptions, DialTransportOptions, MultiaddrConnection, Transport, Upgrader, UpgraderOptions
} from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Uint8ArrayList } from 'uint8arraylist'

/** mesh-latency = the full mesh with a fixed delay on every link (see `LinkLatency`). */
export type Topology = 'mesh' | 'star' | 'mesh-latency'
export type Kind = 'raw' | 'consensus'

export async function waitFor (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > until) return false
    await sleep(10)
  }
  return true
}

// ---- the swarm ------------------------------------------------------------------------------------

/** The baseline's topic: the same gossipsub instance and settings, no validator, no topic score params. */
export const RAW_TOPIC = 'libp2p-consensus-bench/raw/v1'
export const ROUND_TIMEOUT_MS = 12_000
export const PROPOSAL_TIMEOUT_MS = 10_000

export interface Swarm {
  topology: Topology
  nodes: ConsensusNode[]
  ids: string[]
  /** per node: how many peers it should see on each topic (its connections) */
  expectedPeers: number[]
  setupMs: number
  /** every node's pubsub 'message' events (both topics), to detect when traffic has died down */
  messageEvents: number
}

/** Every full-mesh node with the leaf preset keeps at least gossipsub's Dlo (4) peers in its mesh. */
const LEAF_MESH_LOW = 4

let latencyNames = 0

/** What of a memory connection `withLinkLatency` reaches (AbstractMultiaddrConnection's transport hooks). */
interface RawConnection {
  sendData: (data: Uint8ArrayList) => { sentBytes: number, canSendMore: boolean }
  sendClose: (options?: AbortOptions) => Promise<void>
}

/** Deliver every buffer `ms` after it was sent, in order, without holding back the ones behind it. */
function delayConnection<C> (maConn: C, ms: number): C {
  const raw = maConn as unknown as RawConnection
  const send = raw.sendData.bind(raw)
  const close = raw.sendClose.bind(raw)
  raw.sendData = (data) => {
    // timers of one duration fire in the order they were set, so the byte stream keeps its order
    setTimeout(() => { try { send(data) } catch {} }, ms)
    return { sentBytes: data.byteLength, canSendMore: true }
  }
  raw.sendClose = async (options) => { await sleep(ms); await close(options) }
  return maConn
}

function delayUpgrader (upgrader: Upgrader, ms: number): Upgrader {
  const inbound: Upgrader['upgradeInbound'] = async (maConn: MultiaddrConnection, opts: UpgraderOptions) =>
    upgrader.upgradeInbound(delayConnection(maConn, ms), opts)
  const outbound: Upgrader['upgradeOutbound'] = async (maConn: MultiaddrConnection, opts: UpgraderOptions) =>
    upgrader.upgradeOutbound(delayConnection(maConn, ms), opts)
  return new Proxy(upgrader, {
    get (target, prop) {
      if (prop === 'upgradeInbound') return inbound
      if (prop === 'upgradeOutbound') return outbound
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

/**
 * `@libp2p/memory` with a propagation delay of `ms` on every link, both ways. Its own `latency`
 * option delays each buffer only after the previous one was delivered (one buffer per `ms` per
 * direction), so a link carrying k messages of a round takes k·ms: that measures message counts,
 * not delays. Here every buffer is delivered `ms` after it was sent, however many are in flight.
 */
export function withLinkLatency (ms: number): (components: MemoryTransportComponents) => Transport {
  const factory = memory()
  return (components) => new Proxy(factory(components), {
    get (target, prop) {
      if (prop === 'dial') {
        return async (ma: Multiaddr, options: DialTransportOptions) => target.dial(ma, { ...options, upgrader: delayUpgrader(options.upgrader, ms) })
      }
      if (prop === 'createListener') {
        return (options: CreateListenerOptions) => target.createListener({ ...options, upgrader: delayUpgrader(options.upgrader, ms) })
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

/**
 * `meshPreset`: the gossipsub preset of every full-mesh node (a star always has one hub and leaves);
 * `linkLatencyMs`: mesh-latency only, the one-way delay of every link (see `withLinkLatency`).
 */
export async function buildSwarm (topology: Topology, n: number, meshPreset: 'hub' | 'leaf' = 'hub', linkLatencyMs = 20): Promise<Swarm> {
  const started = performance.now()
  const consensus = { voter: () => VoteType.For }
  const nodes: ConsensusNode[] = []
  try {
    if (topology === 'mesh-latency') {
      for (let i = 0; i < n; i++) {
        nodes.push(await createConsensusNode({
          listen: [`/memory/bench-latency-${process.pid}-${latencyNames++}`],
          transports: [withLinkLatency(linkLatencyMs)],
          consensus,
          preset: meshPreset
        }))
      }
      await connectFullMesh(nodes, 120_000)
    } else if (topology === 'mesh') {
      // 'hub': every peer keeps every other in its mesh and forwards everything to all (flood-like);
      // 'leaf': gossipsub's default degree (D = 6, Dhi = 12), own messages still go to every peer (flood publish)
      for (let i = 0; i < n; i++) nodes.push(await startNode({ transport: 'memory', consensus, preset: meshPreset }))
      await connectFullMesh(nodes, 60_000)
    } else {
      const hub = await startNode({ transport: 'websockets', preset: 'hub', consensus })
      nodes.push(hub)
      for (let i = 1; i < n; i++) nodes.push(await startNode({ transport: 'websockets', preset: 'leaf', consensus }))
      await limited(8, nodes.slice(1).map(leaf => async () => leaf.dial(hub.getMultiaddrs())))
      await hub.services.consensus.waitForPeers(n - 1, { timeoutMs: 60_000 })
      await Promise.all(nodes.slice(1).map(async leaf => leaf.services.consensus.waitForPeers(1, { timeoutMs: 60_000 })))
    }
  } catch (err) {
    await stopAll(nodes)
    throw err
  }
  const consensusTopic = (nodes[0] as ConsensusNode).services.consensus.topic
  const swarm: Swarm = {
    topology,
    nodes,
    ids: nodes.map(node => node.peerId.toString()),
    expectedPeers: nodes.map((_, i) => topology !== 'star' || i === 0 ? n - 1 : 1),
    setupMs: 0,
    messageEvents: 0
  }
  for (const node of nodes) {
    node.services.pubsub.subscribe(RAW_TOPIC)
    node.services.pubsub.addEventListener('message', () => { swarm.messageEvents++ })
  }
  // both topics must have every connected peer subscribed AND in the mesh (no gossip-only paths);
  // a leaf-preset full mesh keeps only D of them, at least Dlo
  const meshWanted = (i: number): number => Math.min(swarm.expectedPeers[i] as number, topology !== 'star' && meshPreset === 'leaf' ? LEAF_MESH_LOW : Infinity)
  const ready = (): boolean => nodes.every((node, i) => [RAW_TOPIC, consensusTopic].every(topic =>
    node.services.pubsub.getSubscribers(topic).length >= (swarm.expectedPeers[i] as number) &&
    (node.services.pubsub.getMeshPeers?.(topic).length ?? Infinity) >= meshWanted(i)))
  if (!await waitFor(ready, 30_000)) {
    const short = nodes.map((node, i) => {
      const pubsub = node.services.pubsub
      return `${i}:${pubsub.getMeshPeers?.(RAW_TOPIC).length}/${pubsub.getMeshPeers?.(consensusTopic).length}`
    })
    log(`  warning: not every mesh is full after 30 s (node:raw/consensus mesh sizes ${short.join(' ')}); measuring anyway`)
  }
  swarm.setupMs = performance.now() - started
  return swarm
}

/**
 * Wait until the previous round's tail is over, so that it does not slow the next round down: a
 * round ends when every node has every message once, but relays keep forwarding duplicates (and, for
 * consensus, the votes and acks beyond the thresholds) for a while. Quiet = three 20 ms checks in a
 * row with no new pubsub message on any node and the process below 20 % CPU; at most `maxMs`.
 */
export async function settle (swarm: Swarm, maxMs = 10_000): Promise<{ ms: number, messages: number, cpuMs: number }> {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const first = swarm.messageEvents
  let quietChecks = 0
  while (quietChecks < 3 && performance.now() < start + maxMs) {
    const messages = swarm.messageEvents
    const cpu = process.cpuUsage()
    const t = performance.now()
    await sleep(20)
    const d = process.cpuUsage(cpu)
    const busy = (d.user + d.system) / 1000 / (performance.now() - t)
    quietChecks = swarm.messageEvents === messages && busy < 0.2 ? quietChecks + 1 : 0
  }
  const cpu = process.cpuUsage(cpuStart)
  return { ms: Math.round(performance.now() - start), messages: swarm.messageEvents - first, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }
}

// ---- raw gossipsub round --------------------------------------------------------------------------

/** 12 bytes: magic 'BNCH', round id (u32), kind (0 = ping, 1 = reply), sender index (u16), 1 spare byte; zero padding up to `size`. */
export function rawMessage (round: number, kind: 0 | 1, sender: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  bytes.set([0x42, 0x4e, 0x43, 0x48])
  const view = new DataView(bytes.buffer)
  view.setUint32(4, round)
  view.setUint8(8, kind)
  view.setUint16(9, sender)
  return bytes
}

export interface RawState {
  id: number
  originator: number
  start: number
  /** per node: messages of this round seen (its own publishes count as seen) */
  seen: Array<Set<number>>
  doneAt: Array<number | undefined>
  done: number
  originatorRepliesAt?: number
  errors: string[]
  finish?: () => void
}

export interface RawSample {
  ms: number | null
  originatorAllRepliesMs: number | null
  complete: number
  originator: number
  cpuMs?: number
  /** the wait after the round until the swarm is quiet (see `settle`): how long, new messages seen, CPU spent */
  settle?: { ms: number, messages: number, cpuMs: number }
  errors: string[]
}

export class RawRounds {
  private current: RawState | undefined
  private nextId = 1
  stray = 0

  constructor (private readonly swarm: Swarm, private readonly size: number) {
    swarm.nodes.forEach((node, i) => {
      node.services.pubsub.addEventListener('message', (evt) => {
        const msg = evt.detail
        if (msg.topic !== RAW_TOPIC) return
        this.onMessage(i, msg.data)
      })
    })
  }

  private mark (state: RawState, node: number, key: number): void {
    const seen = state.seen[node] as Set<number>
    if (seen.has(key)) return
    seen.add(key)
    if (seen.size === this.swarm.nodes.length && state.doneAt[node] === undefined) {
      state.doneAt[node] = performance.now()
      if (++state.done === this.swarm.nodes.length) state.finish?.()
    }
  }

  private onMessage (node: number, data: Uint8Array): void {
    const state = this.current
    if (data.byteLength !== this.size || state === undefined) { this.stray++; return }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const round = view.getUint32(4)
    const kind = view.getUint8(8)
    const sender = view.getUint16(9)
    if (round !== state.id) { this.stray++; return }
    // key: the ping is 0 (sent by the originator), the reply of node s is s + 1
    const key = kind === 0 ? 0 : sender + 1
    this.mark(state, node, key)
    if (kind === 0 && node !== state.originator) {
      this.mark(state, node, node + 1)
      this.swarm.nodes[node]!.services.pubsub.publish(RAW_TOPIC, rawMessage(state.id, 1, node, this.size))
        .catch((err: Error) => { state.errors.push(`node ${node} reply: ${err.message}`) })
    } else if (kind === 1 && node === state.originator && (state.seen[node] as Set<number>).size === this.swarm.nodes.length) {
      state.originatorRepliesAt = performance.now()
    }
  }

  /** One round: the originator publishes; every other node replies on receipt; ends when every node has all N messages. */
  async run (originator: number): Promise<RawSample> {
    const n = this.swarm.nodes.length
    const state: RawState = {
      id: this.nextId++,
      originator,
      start: 0,
      seen: this.swarm.nodes.map(() => new Set<number>()),
      doneAt: this.swarm.nodes.map(() => undefined),
      done: 0,
      errors: []
    }
    const finished = new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, ROUND_TIMEOUT_MS)
      state.finish = () => { clearTimeout(timer); resolve(true) }
    })
    this.current = state
    state.start = performance.now()
    this.mark(state, originator, 0)
    this.swarm.nodes[originator]!.services.pubsub.publish(RAW_TOPIC, rawMessage(state.id, 0, originator, this.size))
      .catch((err: Error) => { state.errors.push(`originator publish: ${err.message}`) })
    const ok = await finished
    this.current = undefined
    const end = Math.max(...state.doneAt.map(t => t ?? -Infinity))
    return {
      ms: ok ? end - state.start : null,
      originatorAllRepliesMs: state.originatorRepliesAt === undefined ? null : state.originatorRepliesAt - state.start,
      complete: state.done,
      originator,
      errors: ok || n === 0 ? state.errors : [...state.errors, `timeout: ${state.done}/${n} nodes complete`]
    }
  }
}

// ---- consensus round ------------------------------------------------------------------------------

export interface ConsensusSample {
  ms: number | null
  requesterMs: number | null
  decided: number
  originator: number
  decision: string | null
  /** process CPU time (user + system, all threads) spent during the round */
  cpuMs?: number
  /** the wait after the round until the swarm is quiet (see `settle`): how long, new messages seen, CPU spent */
  settle?: { ms: number, messages: number, cpuMs: number }
  /** direct-protocol frames (pull requests and answers) sent during the round, all nodes together */
  directFrames: number
  errors: string[]
}

export class ConsensusRounds {
  /** per node: proposal id → performance.now() of its 'decision' event */
  private readonly decidedAt: Array<Map<string, { at: number, decision: string }>>
  private waiting: { id: string, check: () => void } | undefined
  private seq = 0

  constructor (private readonly swarm: Swarm) {
    this.decidedAt = swarm.nodes.map(() => new Map())
    swarm.nodes.forEach((node, i) => {
      node.services.consensus.addEventListener('decision', (evt) => {
        this.decidedAt[i]?.set(evt.detail.proposalId, { at: performance.now(), decision: evt.detail.decision })
        this.waiting?.check()
      })
    })
  }

  private directFrames (): number {
    return this.swarm.nodes.reduce((sum, node) => sum + node.services.consensus.getDirectCounters().sent, 0)
  }

  /** One proposal by `originator`, quorum, every peer in the electorate and voting 'for' at once. */
  async run (originator: number): Promise<ConsensusSample> {
    const { nodes, ids } = this.swarm
    const framesBefore = this.directFrames()
    const errors: string[] = []
    const start = performance.now()
    let result: ConsensusResult | undefined
    let requesterAt: number | undefined
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, ROUND_TIMEOUT_MS) })
    try {
      result = await Promise.race([
        nodes[originator]!.services.consensus.requestConsensus(
          { bench: 'latency', topology: this.swarm.topology, round: this.seq++ },
          { algorithm: 'quorum', participants: ids, timeoutMs: PROPOSAL_TIMEOUT_MS }
        ),
        timeout
      ])
      requesterAt = performance.now()
    } catch (err: any) {
      errors.push(`requestConsensus: ${String(err?.message ?? err)}`)
    } finally {
      clearTimeout(timer)
    }
    let decided = 0
    let end = -Infinity
    if (result !== undefined) {
      const id = result.proposalId
      const count = (): number => this.decidedAt.filter(m => m.has(id)).length
      if (count() < nodes.length) {
        const left = Math.max(0, ROUND_TIMEOUT_MS - (performance.now() - start))
        await new Promise<void>(resolve => {
          const timer = setTimeout(() => { this.waiting = undefined; resolve() }, left)
          this.waiting = { id, check: () => { if (count() === nodes.length) { clearTimeout(timer); this.waiting = undefined; resolve() } } }
        })
      }
      for (const m of this.decidedAt) {
        const d = m.get(id)
        if (d === undefined) continue
        decided++
        end = Math.max(end, d.at)
        if (d.decision !== 'approved') errors.push(`a peer decided ${d.decision}`)
      }
      if (decided < nodes.length) errors.push(`timeout: ${decided}/${nodes.length} peers decided`)
    } else if (errors.length === 0) {
      errors.push('timeout: the requester got no result')
    }
    for (const m of this.decidedAt) m.clear()
    return {
      ms: result !== undefined && decided === nodes.length ? end - start : null,
      requesterMs: requesterAt === undefined || result === undefined ? null : requesterAt - start,
      decided,
      originator,
      decision: result?.decision ?? null,
      directFrames: this.directFrames() - framesBefore,
      errors
    }
  }
}
