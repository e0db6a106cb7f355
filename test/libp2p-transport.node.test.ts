/**
 * Real libp2p nodes in one process: the gossipsub Coordinator and the direct pull protocol over the
 * memory transport (full mesh and a line), then a websockets star of one hub and 50 leaves.
 */
import { memory } from '@libp2p/memory'
import { webSockets } from '@libp2p/websockets'
import { fromString as utf8, toString as text } from 'uint8arrays'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsensusNode } from '../src/agent/node.js'
import { consensusGossipsub, NotEnoughPeersError, type ConsensusPubSub, type DirectMessagingInit, type GossipsubPreset } from '../src/libp2p/index.js'
import { PubSubCoordinator, type PubSubCoordinatorComponents, type PubSubCoordinatorInit } from '../src/libp2p/pubsub-coordinator.js'
import type { Libp2p } from 'libp2p'
import type { ValidationResult } from '../src/transport/coordinator.js'
import { sleep, waitUntil } from './helpers/wait.js'
import type { Startable } from '@libp2p/interface'

const TOPIC = 'libp2p-consensus/test'

/** How the lead's service is expected to host the coordinator: built with the node, started after it. */
class CoordinatorService implements Startable {
  readonly coordinator: PubSubCoordinator
  constructor (components: PubSubCoordinatorComponents, init: PubSubCoordinatorInit) {
    this.coordinator = new PubSubCoordinator(components, init)
  }

  async start (): Promise<void> {}
  // gossipsub starts together with every other service: subscribe only once all have started
  async afterStart (): Promise<void> { await this.coordinator.start() }
  async beforeStop (): Promise<void> { await this.coordinator.stop() }
  async stop (): Promise<void> {}
}

interface Received { text: string, from: string }

interface TestNode {
  libp2p: Libp2p<{ pubsub: ConsensusPubSub, consensus: CoordinatorService }>
  coordinator: PubSubCoordinator
  peerId: string
  received: Received[]
  /** what the handler answers for a message (default accept) */
  policy: (message: string) => ValidationResult
}

async function makeNode (options: {
  transport: 'memory' | 'websockets'
  listen: string[]
  preset?: GossipsubPreset
  direct?: DirectMessagingInit
}): Promise<TestNode> {
  // the memory-transport tests count direct frames and streams exactly: no presence traffic there
  const presence = { intervalMs: options.transport === 'memory' ? 0 : undefined }
  const preset = options.preset ?? 'leaf'
  // the library's node with the service swapped for a bare coordinator, on the test topic
  const libp2p = await createConsensusNode({
    listen: options.listen,
    transports: [options.transport === 'memory' ? memory() : webSockets()],
    preset,
    services: {
      pubsub: consensusGossipsub({ topics: TOPIC, preset }),
      consensus: (components: PubSubCoordinatorComponents) => new CoordinatorService(components, { topic: TOPIC, direct: options.direct, presence })
    }
  })
  const coordinator = libp2p.services.consensus.coordinator
  const node: TestNode = { libp2p, coordinator, peerId: libp2p.peerId.toString(), received: [], policy: () => 'accept' }
  coordinator.setHandler(async (bytes, from) => {
    const message = text(bytes)
    node.received.push({ text: message, from })
    const result = node.policy(message)
    // any reason of the outcome: the transport acts on the outcome only
    return result === 'accept' ? { result, reason: 'new' } : result === 'ignore' ? { result, reason: 'duplicate' } : { result, reason: 'malformed' }
  })
  return node
}

const got = (node: TestNode, message: string): Received[] => node.received.filter(r => r.text === message)
const scoreOf = (on: TestNode, of: TestNode): number => {
  const getScore = on.libp2p.services.pubsub.getScore
  if (getScore === undefined) throw new Error('gossipsub no longer has getScore at runtime')
  return getScore.call(on.libp2p.services.pubsub, of.peerId)
}
const run = `${process.pid}-${Date.now()}`

describe('PubSubCoordinator over memory transport, 5 nodes in a full mesh', () => {
  const nodes: TestNode[] = []

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) nodes.push(await makeNode({ transport: 'memory', listen: [`/memory/mesh-${run}-${i}`] }))
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) await nodes[i]!.libp2p.dial(nodes[j]!.libp2p.getMultiaddrs())
    }
    await Promise.all(nodes.map(async node => node.coordinator.waitForPeers(4, { timeoutMs: 10_000 })))
  }, 30_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async node => node.libp2p.stop()))
  })

  it('lists the 4 other peers and a healthy gossipsub topology', () => {
    for (const node of nodes) {
      expect(node.coordinator.getPeers()).toEqual(nodes.filter(n => n !== node).map(n => n.peerId).sort())
      expect(node.coordinator.getTopologyInfo()).toMatchObject({ type: 'gossipsub', agentCount: 5, connectionCount: 4, health: 'healthy' })
    }
  })

  it('delivers a broadcast to each of the 4 others exactly once, and not to the sender', async () => {
    const [sender, ...others] = nodes as [TestNode, ...TestNode[]]
    const handed = await sender.coordinator.broadcast(utf8('hello mesh'))
    expect(handed).toBe(4)
    await waitUntil(() => others.every(n => got(n, 'hello mesh').length > 0), 5_000, 'the broadcast to reach every peer')
    await sleep(300) // room for relayed copies, which must be dropped as duplicates before the handler
    for (const node of others) expect(got(node, 'hello mesh')).toHaveLength(1)
    expect(got(sender, 'hello mesh')).toHaveLength(0)
  })

  it('resolves 0 for a duplicate publish instead of throwing', async () => {
    expect(await nodes[0]!.coordinator.broadcast(utf8('hello mesh'))).toBe(0)
  })

  it('sends point-to-point only to its target, with the sender as from', async () => {
    const [a, b] = [nodes[1]!, nodes[3]!]
    await a.coordinator.send(b.peerId, utf8('want 1'))
    await a.coordinator.send(b.peerId, utf8('want 2'))
    await waitUntil(() => got(b, 'want 2').length > 0, 5_000, 'the direct message')
    await sleep(200)
    expect(b.received.filter(r => r.text.startsWith('want'))).toEqual([{ text: 'want 1', from: a.peerId }, { text: 'want 2', from: a.peerId }])
    for (const node of nodes) if (node !== b) expect(node.received.filter(r => r.text.startsWith('want'))).toEqual([])
    expect(a.coordinator.direct.openStreams).toEqual([b.peerId]) // reused for both frames
  })

  it('drops a rejected message and lowers the publisher\'s score on the receivers', async () => {
    const [publisher, ...others] = nodes as [TestNode, ...TestNode[]]
    for (const node of others) node.policy = message => message.startsWith('forged') ? 'reject' : 'accept'
    const before = others.map(node => scoreOf(node, publisher))
    await publisher.coordinator.broadcast(utf8('forged vote'))
    await waitUntil(() => others.every(n => got(n, 'forged vote').length > 0), 5_000, 'the forged message to be validated')
    await sleep(300)
    // validated once, from the publisher itself: nobody relayed it
    for (const node of others) expect(got(node, 'forged vote')).toEqual([{ text: 'forged vote', from: publisher.peerId }])
    // gossipsub caches a score for one heartbeat (1 s)
    await waitUntil(() => others.every((node, i) => scoreOf(node, publisher) < before[i]!), 3_000, 'the publisher\'s score to drop')
    for (const node of others) expect(scoreOf(node, publisher)).toBeLessThan(0)
  })

  it('waitForPeers rejects with NotEnoughPeersError naming how many came', async () => {
    const error = await nodes[0]!.coordinator.waitForPeers(10, { timeoutMs: 100 }).catch(err => err)
    expect(error).toBeInstanceOf(NotEnoughPeersError)
    expect(error).toMatchObject({ name: 'NotEnoughPeersError', wanted: 10, found: 4 })
    expect(await nodes[0]!.coordinator.waitForPeers(4)).toHaveLength(4)
  })
})

describe('PubSubCoordinator over memory transport, a line a — b — c', () => {
  let a: TestNode, b: TestNode, c: TestNode

  beforeAll(async () => {
    // a closes idle direct streams quickly; b takes small frames, few per second
    const direct: DirectMessagingInit[] = [{ idleTimeoutMs: 400 }, { maxFrameBytes: 1024, maxInboundFramesPerSecond: 10 }, {}]
    const line = await Promise.all([0, 1, 2].map(async i => makeNode({ transport: 'memory', listen: [`/memory/line-${run}-${i}`], direct: direct[i] })))
    ;[a, b, c] = line as [TestNode, TestNode, TestNode]
    await a.libp2p.dial(b.libp2p.getMultiaddrs())
    await b.libp2p.dial(c.libp2p.getMultiaddrs())
    await Promise.all([a.coordinator.waitForPeers(1), b.coordinator.waitForPeers(2), c.coordinator.waitForPeers(1)])
  }, 30_000)

  afterAll(async () => {
    await Promise.all([a, b, c].map(async node => node?.libp2p.stop()))
  })

  it('relays an accepted message, naming the relayer as from', async () => {
    await a.coordinator.broadcast(utf8('relayed'))
    await waitUntil(() => got(c, 'relayed').length > 0, 5_000, 'the relayed message')
    expect(got(c, 'relayed')).toEqual([{ text: 'relayed', from: b.peerId }])
  })

  it('does not relay a message the middle node rejects', async () => {
    b.policy = message => message === 'bad' ? 'reject' : 'accept'
    await a.coordinator.broadcast(utf8('bad'))
    await a.coordinator.broadcast(utf8('good after bad'))
    await waitUntil(() => got(c, 'good after bad').length > 0, 5_000, 'the message after the rejected one')
    expect(got(b, 'bad')).toHaveLength(1)
    expect(got(c, 'bad')).toHaveLength(0)
  })

  it('drops a direct send to a peer it has no connection to, without throwing', async () => {
    const dropped = a.coordinator.direct.counters.dropped
    await expect(a.coordinator.send(c.peerId, utf8('unreachable'))).resolves.toBeUndefined()
    expect(a.coordinator.direct.counters.dropped).toBe(dropped + 1)
    expect(got(c, 'unreachable')).toHaveLength(0)
  })

  it('bounds direct frames: size on both ends, frames per second, idle streams', async () => {
    // the sender's own limit: dropped before it leaves
    const dropped = b.coordinator.direct.counters.dropped
    await b.coordinator.send(a.peerId, new Uint8Array(1025))
    expect(b.coordinator.direct.counters.dropped).toBe(dropped + 1)

    // the receiver's limit: a (512 KiB limit) writes 2000 bytes, b (1 KiB) resets the stream unread
    await a.coordinator.send(b.peerId, utf8('x'.repeat(2000)))
    await waitUntil(() => a.coordinator.direct.openStreams.length === 0, 2_000, 'b to reset the stream')
    expect(b.received.filter(r => r.text.startsWith('xxx'))).toHaveLength(0)

    // at most 10 frames a second from one peer reach b's handler; a reopens a stream for them
    const refused = b.coordinator.direct.counters.refused
    for (let i = 0; i < 15; i++) await a.coordinator.send(b.peerId, utf8(`burst ${i}`))
    await waitUntil(() => b.coordinator.direct.counters.refused === refused + 5, 2_000, 'the excess frames to be refused')
    expect(b.received.filter(r => r.text.startsWith('burst')).map(r => r.text)).toEqual(Array.from({ length: 10 }, (_, i) => `burst ${i}`))

    // an unused stream is closed after idleTimeoutMs and a new one opened on the next send
    await waitUntil(() => a.coordinator.direct.openStreams.length === 0, 2_000, 'the idle stream to close')
    await sleep(1_000) // let b's bucket refill
    await a.coordinator.send(b.peerId, utf8('after idle'))
    await waitUntil(() => got(b, 'after idle').length > 0, 2_000, 'a frame on a reopened stream')
    expect(got(b, 'after idle')).toEqual([{ text: 'after idle', from: a.peerId }])
  })
})

describe('PubSubCoordinator over websockets, a hub and 50 leaves', () => {
  const LEAVES = 50
  const DIAL_CONCURRENCY = 8
  let hub: TestNode
  const leaves: TestNode[] = []

  beforeAll(async () => {
    hub = await makeNode({ transport: 'websockets', listen: ['/ip4/127.0.0.1/tcp/0/ws'], preset: 'hub' })
    const hubAddrs = hub.libp2p.getMultiaddrs()
    for (let i = 0; i < LEAVES; i++) leaves.push(await makeNode({ transport: 'websockets', listen: [] }))
    // leaves dial only the hub, a few at a time (simultaneous dials overwhelm the upgrade queue)
    let next = 0
    await Promise.all(Array.from({ length: DIAL_CONCURRENCY }, async () => {
      while (next < leaves.length) await leaves[next++]!.libp2p.dial(hubAddrs)
    }))
    await hub.coordinator.waitForPeers(LEAVES, { timeoutMs: 20_000 })
    await Promise.all(leaves.map(async leaf => leaf.coordinator.waitForPeers(1, { timeoutMs: 20_000 })))
    // gossipsub pushes only to mesh peers (a peer grafted later gets no IHAVE for older messages):
    // measure relaying once the meshes have formed, as a swarm that has been up a heartbeat or two
    const meshOf = (node: TestNode): string[] => node.libp2p.services.pubsub.getMeshPeers?.(TOPIC).map(String) ?? []
    await waitUntil(
      () => meshOf(hub).length === LEAVES && leaves.every(leaf => meshOf(leaf).includes(hub.peerId)),
      20_000,
      'the hub\'s mesh to hold every leaf'
    )
  }, 60_000)

  afterAll(async () => {
    await Promise.all([hub, ...leaves].map(async node => node?.libp2p.stop()))
  }, 30_000)

  it('delivers a leaf\'s broadcast to every other leaf through the hub', async () => {
    expect(hub.coordinator.getPeers()).toHaveLength(LEAVES)
    const started = Date.now()
    await leaves[0]!.coordinator.broadcast(utf8('from leaf 0'))
    await leaves[1]!.coordinator.broadcast(utf8('from leaf 1'))
    const everyLeafHasOne = (): boolean => leaves.every((leaf, i) => got(leaf, i === 0 ? 'from leaf 1' : 'from leaf 0').length > 0)
    await waitUntil(everyLeafHasOne, 10_000, 'every leaf to receive a broadcast from another leaf').catch(err => {
      const missing = leaves.filter((leaf, i) => got(leaf, i === 0 ? 'from leaf 1' : 'from leaf 0').length === 0).length
      throw new Error(`${String(err.message)}: ${missing} of ${LEAVES} leaves got none`)
    })
    const elapsed = Date.now() - started
    const leavesWithBoth = leaves.filter((leaf, i) => i > 1 && got(leaf, 'from leaf 0').length > 0 && got(leaf, 'from leaf 1').length > 0).length
    console.info(`hub + ${LEAVES} leaves over websockets: every leaf had a broadcast from another leaf after ${elapsed} ms ` +
      `(${leavesWithBoth}/${LEAVES - 2} had both); hub mesh ${hub.libp2p.services.pubsub.getMeshPeers?.(TOPIC).length ?? '?'} peers`)
    expect(got(hub, 'from leaf 0')).toHaveLength(1)
    for (const leaf of leaves) expect(leaf.received.every(r => r.from === hub.peerId)).toBe(true)
  })
})
