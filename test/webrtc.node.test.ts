/**
 * Two Node 24 peers with `webrtc: true` behind one hub (which runs a circuit relay): they find each
 * other on the peer topic, open a direct WebRTC connection signalled through the relay, decide a
 * proposal with one certificate, and keep deciding after the hub stops. Loopback ICE, no STUN.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { InvalidParametersError, TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebRTCPeers, webrtcPeers, type PeersPubSub } from '../src/agent/discovery.js'
import { hubGater } from '../src/agent/gater.js'
import { createConsensusNode, type ConsensusNode } from '../src/agent/node.js'
import { connectionKind, isWebRTCLink, linkKinds } from '../src/agent/webrtc.js'
import { createHub, type ConsensusHub } from '../src/hub/index.js'
import { sleep, waitUntil } from './helpers/wait.js'
import type { ConsensusResult } from '../src/index.js'
import type { PubSubTopicValidator } from '../src/libp2p/pubsub.js'
import type { Connection } from '@libp2p/interface'

/** The open, unlimited WebRTC connections of `node` to `other`. */
function directLinks (node: ConsensusNode, other: ConsensusNode): Connection[] {
  return node.getConnections(other.peerId).filter(c => c.status === 'open' && isWebRTCLink(c))
}

describe('WebRTC between Node peers through a hub relay', () => {
  let hub: ConsensusHub
  const peers: ConsensusNode[] = []
  const decisions: Array<Map<string, ConsensusResult>> = []

  beforeAll(async () => {
    hub = await createHub()
    for (let i = 0; i < 2; i++) {
      // host candidates only: a loopback test needs no STUN, and must not wait for public servers
      const node = await createConsensusNode({ webrtc: true, rtcConfiguration: { iceServers: [] }, consensus: { voter: () => 'for' } })
      const seen = new Map<string, ConsensusResult>()
      node.services.consensus.addEventListener('decision', (evt) => { seen.set(evt.detail.proposalId, evt.detail) })
      decisions.push(seen)
      peers.push(node)
      await node.dial(hub.multiaddrs.map(a => multiaddr(a)))
    }
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(peers.map(async p => { await p.stop() }))
    await hub?.stop().catch(() => {})
  })

  it('listen through the hub relay on a …/p2p-circuit/webrtc/p2p/<id> address', async () => {
    for (const node of peers) {
      const suffix = `/p2p/${hub.peerId}/p2p-circuit/webrtc/p2p/${node.peerId.toString()}`
      await waitUntil(() => node.getMultiaddrs().some(a => a.toString().endsWith(suffix)), 15_000, 'a WebRTC address through the hub')
    }
  })

  it('find each other on the peer topic and hold a direct, unlimited WebRTC connection', async () => {
    const [a, b] = peers as [ConsensusNode, ConsensusNode]
    await waitUntil(() => directLinks(a, b).length > 0 && directLinks(b, a).length > 0, 30_000, 'a direct WebRTC link both ways')
    for (const [node, other] of [[a, b], [b, a]] as const) {
      const link = directLinks(node, other)[0]!
      expect(link.remoteAddr.toString()).toContain('/webrtc')
      expect(link.limits).toBeUndefined()
      expect(connectionKind(link)).toBe('webrtc')
      expect(linkKinds(node).get(other.peerId.toString())).toBe('webrtc')
      expect(linkKinds(node).get(hub.peerId)).toBe('websocket')
    }
    // exactly one direct connection between them: the PeerId that sorts first dials, the other waits
    expect(directLinks(a, b)).toHaveLength(1)
    // gossipsub runs over the direct link: each is in the other's mesh
    const meshOf = (node: ConsensusNode): string[] => node.services.pubsub.getMeshPeers?.(node.services.consensus.topic) ?? []
    await waitUntil(() => meshOf(a).includes(b.peerId.toString()) && meshOf(b).includes(a.peerId.toString()), 10_000, 'each in the other\'s mesh')
  })

  it('decide a proposal with one certificate', async () => {
    const a = peers[0]!
    const participants = peers.map(p => p.peerId.toString())
    const result = await a.services.consensus.requestConsensus({ action: 'over-webrtc' }, { algorithm: 'unanimous', participants, timeoutMs: 10_000 })
    expect(result.decision).toBe('approved')
    await waitUntil(() => decisions[1]!.has(result.proposalId), 10_000, 'the second peer deciding')
    expect(decisions[1]!.get(result.proposalId)!.certificate?.id).toBe(result.certificate?.id)
    expect(result.voters.sort()).toEqual([...participants].sort())
  })

  it('keep deciding over the direct link after the hub stops', async () => {
    const [a, b] = peers as [ConsensusNode, ConsensusNode]
    await hub.stop()
    await waitUntil(() => a.getConnections().every(c => c.remotePeer.toString() !== hub.peerId), 10_000, 'the hub connection closing')
    expect(directLinks(a, b)).toHaveLength(1)
    const participants = peers.map(p => p.peerId.toString())
    const result = await b.services.consensus.requestConsensus({ action: 'after-hub' }, { algorithm: 'unanimous', participants, timeoutMs: 10_000 })
    expect(result.decision).toBe('approved')
    await waitUntil(() => decisions[0]!.has(result.proposalId), 10_000, 'the first peer deciding')
    expect(decisions[0]!.get(result.proposalId)!.certificate?.id).toBe(result.certificate?.id)
  })
})

describe('the WebRTC peer records', () => {
  interface Stub { service: WebRTCPeers, published: Uint8Array[], dialed: string[][], validate: (data: Uint8Array) => Promise<string> }

  /** A service on stubbed components: a pubsub that records what is published, a dialer that records what is dialed. */
  async function stub (): Promise<Stub> {
    const privateKey = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(privateKey)
    const published: Uint8Array[] = []
    const dialed: string[][] = []
    const topicValidators = new Map<string, PubSubTopicValidator>()
    const pubsub: PeersPubSub = {
      topicValidators,
      subscribe: () => {},
      unsubscribe: () => {},
      getSubscribers: () => [peerId],
      publish: async (_topic, data) => { published.push(data!) }
    }
    const own = multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${HUB}/p2p-circuit/webrtc/p2p/${peerId.toString()}`)
    const service = new WebRTCPeers({
      peerId,
      privateKey,
      addressManager: { getAddresses: () => [own] },
      connectionManager: {
        getConnections: () => [],
        openConnection: async (addrs) => { dialed.push((addrs as Multiaddr[]).map(String)); throw new Error('no ICE in a unit test') }
      },
      events: new TypedEventEmitter(),
      logger: defaultLogger(),
      pubsub
    }, { dial: true, minAnnounceGapMs: 0 })
    service.afterStart()
    const validate = async (data: Uint8Array): Promise<string> => topicValidators.get(service.topic)!(peerId, { topic: service.topic, data })
    return { service, published, dialed, validate }
  }

  const HUB = '12D3KooWCAyEkSkjtyBffQzNzKJPUjY5Tv81RguwntUPSVPzEg96'
  const stubs: Stub[] = []
  afterAll(() => { for (const s of stubs) { s.service.beforeStop(); s.service.stop() } })

  it('announce the WebRTC address signed; the peer that sorts first dials it, the other answers with its own record', async () => {
    const [a, b] = [await stub(), await stub()]
    stubs.push(a, b)
    const [first, second] = a.service['components'].peerId.toString() < b.service['components'].peerId.toString() ? [a, b] : [b, a]
    await waitUntil(() => second.published.length > 0, 2000, 'an announcement')
    expect(await first.validate(second.published[0]!)).toBe('accept')
    await waitUntil(() => first.dialed.length > 0, 2000, 'a dial')
    expect(first.dialed[0]).toEqual([`/ip4/127.0.0.1/tcp/1/ws/p2p/${HUB}/p2p-circuit/webrtc/p2p/${second.service['components'].peerId.toString()}`])
    // the same record again is a replay: no second dial
    expect(await first.validate(second.published[0]!)).toBe('accept')
    await sleep(50)
    expect(first.dialed).toHaveLength(1)
    // the one that sorts second never dials, it announces itself so the first hears of it
    const before = first.published.length
    expect(await second.validate(first.published[0]!)).toBe('accept')
    await waitUntil(() => second.published.length > 1, 2000, 'an answering announcement')
    expect(second.dialed).toHaveLength(0)
    expect(first.published.length).toBe(before)
  })

  it('reject a record whose signature does not hold, or that is not a record at all', async () => {
    const [a, b] = [await stub(), await stub()]
    stubs.push(a, b)
    await waitUntil(() => a.published.length > 0, 2000, 'an announcement')
    const forged = a.published[0]!.slice()
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff
    expect(await b.validate(forged)).toBe('reject')
    expect(await b.validate(new Uint8Array([1, 2, 3]))).toBe('reject')
    expect(b.dialed).toHaveLength(0)
    expect(b.service.counters.recordsRejected).toBe(2)
  })

  it('refuse bad options with a named error', () => {
    expect(() => webrtcPeers({ maxDirectLinks: 1.5 })({} as never)).toThrow(InvalidParametersError)
    expect(() => new WebRTCPeers({} as never, { announceIntervalMs: 0 })).toThrow(InvalidParametersError)
  })
})

describe('connectionKind', () => {
  it.each([
    ['/ip4/127.0.0.1/tcp/1/ws/p2p/HUB/p2p-circuit/webrtc/p2p/PEER', 'webrtc'],
    ['/webrtc/p2p/PEER', 'webrtc'],
    ['/ip4/127.0.0.1/tcp/1/ws/p2p/HUB/p2p-circuit/p2p/PEER', 'relayed'],
    ['/ip4/127.0.0.1/tcp/1/ws', 'websocket'],
    ['/dns4/hub.example.com/tcp/443/wss', 'websocket'],
    ['/ip4/127.0.0.1/tcp/1', 'tcp'],
    ['/memory/a', 'memory']
  ])('%s is %s', (addr, kind) => {
    const text = addr.replaceAll('HUB', '12D3KooWCAyEkSkjtyBffQzNzKJPUjY5Tv81RguwntUPSVPzEg96')
      .replaceAll('PEER', '12D3KooWBpmJ4V4emsvxxwKrVQ9rBhDgtL7ewgCAa5Kqj1gzBk4r')
    expect(connectionKind({ remoteAddr: multiaddr(text) })).toBe(kind)
  })
})

describe('hubGater in a browser', () => {
  const hub = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWCAyEkSkjtyBffQzNzKJPUjY5Tv81RguwntUPSVPzEg96'
  const peer = '12D3KooWBpmJ4V4emsvxxwKrVQ9rBhDgtL7ewgCAa5Kqj1gzBk4r'
  const holder = globalThis as { document?: unknown }
  beforeAll(() => { holder.document = {} })
  afterAll(() => { delete holder.document })

  it('allows the hub, circuits through it, and keeps the browser rule for the rest', async () => {
    const gater = hubGater([multiaddr(hub)])
    const deny = async (addr: string): Promise<boolean | undefined> => gater.denyDialMultiaddr?.(multiaddr(addr))
    expect(await deny(hub)).toBe(false)
    expect(await deny(`${hub}/p2p-circuit/webrtc/p2p/${peer}`)).toBe(false)
    expect(await deny(`${hub}/p2p-circuit/p2p/${peer}`)).toBe(false)
    // another local hub, or a circuit through it: libp2p's browser rule refuses both
    expect(await deny('/ip4/127.0.0.1/tcp/9091/ws')).toBe(true)
    expect(await deny(`/ip4/127.0.0.1/tcp/9091/ws/p2p/${peer}/p2p-circuit/webrtc/p2p/${peer}`)).toBe(true)
  })
})
