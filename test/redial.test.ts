/**
 * How agents spread over hubs and fail over, without a network: the rendezvous order (the same on
 * every machine, even over the hubs, stable when one hub goes) and the ConnectionKeeper driven on
 * a stub node in virtual time (failover at once, backoff retries, moving back, hubs keeping all).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { InvalidParametersError, type PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConnectionKeeper, parsePeerAddresses, type KeeperNode, type KeptPeer } from '../src/agent/redial.js'
import { rendezvousOrder } from '../src/agent/rendezvous.js'
import { VirtualClock, macrotask } from '../src/testing/virtual-clock.js'

const fakeIds = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe('rendezvousOrder', () => {
  const hubs = fakeIds('hub-', 4)
  const agents = fakeIds('agent-', 400)

  it('is a permutation of the hubs that does not depend on the order they were listed in', () => {
    for (const agent of agents.slice(0, 50)) {
      const order = rendezvousOrder(agent, hubs)
      expect([...order].sort()).toEqual([...hubs].sort())
      expect(rendezvousOrder(agent, [...hubs].reverse())).toEqual(order)
    }
  })

  it('spreads a swarm over the hubs: each hub is first for about a quarter of the agents', () => {
    const first = new Map<string, number>()
    for (const agent of agents) {
      const hub = rendezvousOrder(agent, hubs)[0]!
      first.set(hub, (first.get(hub) ?? 0) + 1)
    }
    // 400 agents over 4 hubs: 100 expected each, a standard deviation of ~8.7
    for (const hub of hubs) expect(first.get(hub) ?? 0).toBeGreaterThan(60)
    for (const hub of hubs) expect(first.get(hub) ?? 0).toBeLessThan(140)
  })

  it('when a hub goes, only its agents move, and they spread over all the others', () => {
    const gone = hubs[0]!
    const rest = hubs.slice(1)
    const movedTo = new Map<string, number>()
    for (const agent of agents) {
      const order = rendezvousOrder(agent, hubs)
      // the others keep their relative order: an agent's next choice is the one it fails over to
      expect(rendezvousOrder(agent, rest)).toEqual(order.filter(h => h !== gone))
      if (order[0] === gone) movedTo.set(order[1]!, (movedTo.get(order[1]!) ?? 0) + 1)
    }
    expect([...movedTo.keys()].sort()).toEqual([...rest].sort())
  })
})

describe('parsePeerAddresses', () => {
  it('groups addresses by PeerId and refuses what is not a websocket multiaddr ending in /p2p/<id>', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const peers = parsePeerAddresses([`/ip4/127.0.0.1/tcp/1/ws/p2p/${id}`, `/ip4/10.0.0.1/tcp/1/ws/p2p/${id}`], 'peer address')
    expect(peers).toHaveLength(1)
    expect(peers[0]!.addrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/1/ws/p2p/${id}`, `/ip4/10.0.0.1/tcp/1/ws/p2p/${id}`])
    expect(() => parsePeerAddresses(['nope'], 'peer address')).toThrow(InvalidParametersError)
    expect(() => parsePeerAddresses(['/ip4/127.0.0.1/tcp/1/ws'], 'peer address')).toThrow(/must end in \/p2p\/<peer id>/)
    expect(() => parsePeerAddresses([`/ip4/127.0.0.1/tcp/1/p2p/${id}`], 'peer address')).toThrow(/not a websocket address/)
    expect(() => parsePeerAddresses('x' as any, 'peer address')).toThrow(/must be an array/)
  })
})

/** A stand-in for the libp2p node: peers are up or down, dials succeed or fail, connections come and go. */
class StubNode extends TypedEventEmitter<{ 'peer:connect': CustomEvent<PeerId>, 'peer:disconnect': CustomEvent<PeerId> }> {
  status: 'started' | 'stopped' = 'started'
  readonly up = new Set<string>()
  readonly open = new Map<string, PeerId>()
  readonly dials: string[] = []

  constructor (private readonly ids: Map<string, PeerId>) { super() }

  async dial (addrs: Multiaddr[]): Promise<unknown> {
    const id = addrs[0]!.getComponents().findLast(c => c.name === 'p2p')!.value!
    this.dials.push(id)
    await macrotask()
    if (!this.up.has(id)) throw new Error(`${id} is down`)
    if (!this.open.has(id)) {
      this.open.set(id, this.ids.get(id)!)
      this.safeDispatchEvent('peer:connect', { detail: this.ids.get(id)! })
    }
    return {}
  }

  async hangUp (addr: Multiaddr): Promise<void> {
    this.drop(addr.getComponents().findLast(c => c.name === 'p2p')!.value!)
  }

  getConnections (): any[] {
    return [...this.open.values()].map(remotePeer => ({ remotePeer }))
  }

  /** The peer's connection closes (it stopped, or we hung up). */
  drop (id: string): void {
    if (!this.open.delete(id)) return
    this.safeDispatchEvent('peer:disconnect', { detail: this.ids.get(id)! })
  }
}

describe('ConnectionKeeper', () => {
  let ids: Map<string, PeerId>
  let peers: KeptPeer[]
  let names: string[]

  beforeAll(async () => {
    const peerIds = await Promise.all(Array.from({ length: 4 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    ids = new Map(peerIds.map(p => [p.toString(), p]))
    names = peerIds.map(String)
    peers = names.map(id => ({ peerId: id, addrs: [multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${id}`)] }))
  })

  const setup = (up: number[], connections?: number): { node: StubNode, keeper: ConnectionKeeper, clock: VirtualClock } => {
    const node = new StubNode(ids)
    for (const i of up) node.up.add(names[i]!)
    const clock = new VirtualClock()
    const keeper = new ConnectionKeeper(node as unknown as KeeperNode, peers, { connections, baseDelayMs: 1000, clock })
    return { node, keeper, clock }
  }

  /** Let pending dials settle, then move virtual time on. */
  const run = async (clock: VirtualClock, ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 100) {
      for (let i = 0; i < 5; i++) await macrotask()
      await clock.advance(100)
    }
    for (let i = 0; i < 5; i++) await macrotask()
  }

  it('keeps one hub connected: the first in its order', async () => {
    const { node, keeper } = setup([0, 1, 2, 3], 1)
    await keeper.start()
    expect(keeper.connected()).toEqual([names[0]])
    expect(node.dials).toEqual([names[0]])
    keeper.stop()
  })

  it('fails over to the next hub at once when its first is down at start, and moves back when it returns', async () => {
    const { node, keeper, clock } = setup([1, 2, 3], 1)
    await keeper.start()
    // no virtual time has passed: the failover did not wait for a backoff
    expect(clock.now()).toBe(0)
    expect(keeper.connected()).toEqual([names[1]])
    node.up.add(names[0]!)
    // retried after 1 s; the surplus link to the second hub closes after another second
    await run(clock, 2500)
    expect(keeper.connected()).toEqual([names[0]])
    keeper.stop()
  })

  it('leaves alone a connection to another hub that it did not dial (a WebRTC dial through that hub\'s relay)', async () => {
    const { node, keeper, clock } = setup([0, 1, 2, 3], 1)
    await keeper.start()
    // something else (libp2p dialing a tab's /p2p-circuit address behind hub 2) connects to hub 2
    node.open.set(names[2]!, ids.get(names[2]!)!)
    node.safeDispatchEvent('peer:connect', { detail: ids.get(names[2]!)! })
    await run(clock, 5000)
    expect(keeper.connected()).toEqual([names[0], names[2]])
    // its own hub drops: hub 2 is a hub link meanwhile (no fallback dialed), and the preferred one is redialed
    node.drop(names[0]!)
    await run(clock, 100)
    expect(keeper.connected()).toEqual([names[2]])
    await run(clock, 3000)
    expect(keeper.connected()).toEqual([names[0], names[2]])
    expect(node.dials.filter(id => id === names[1])).toEqual([])
    keeper.stop()
  })

  it('fails over at once when its hub goes, and retries the preferred one with doubling backoff', async () => {
    const { node, keeper, clock } = setup([0, 1, 2, 3], 1)
    await keeper.start()
    node.up.delete(names[0]!)
    node.drop(names[0]!)
    await run(clock, 0)
    expect(keeper.connected()).toEqual([names[1]])
    // retries of the stopped hub at 1 s, then 2 s and 4 s later: three by 7.5 s
    await run(clock, 7500)
    expect(node.dials.filter(d => d === names[0])).toHaveLength(1 + 3)
    expect(keeper.connected()).toEqual([names[1]])
    // the hub it failed over to goes too: the third takes over
    node.up.delete(names[1]!)
    node.drop(names[1]!)
    await run(clock, 0)
    expect(keeper.connected()).toEqual([names[2]])
    keeper.stop()
  })

  it('with every peer kept (a hub backbone) redials each one that drops', async () => {
    const { node, keeper, clock } = setup([0, 1, 2], undefined)
    await keeper.start()
    expect(keeper.connected()).toEqual(names.slice(0, 3))
    node.up.add(names[3]!)
    node.drop(names[1]!)
    await run(clock, 2500)
    expect(keeper.connected()).toEqual(names)
    keeper.stop()
  })

  it('resolves start once every hub was tried when none answers, and stops retrying after stop()', async () => {
    const { node, keeper, clock } = setup([], 2)
    await keeper.start()
    expect(keeper.connected()).toEqual([])
    expect([...node.dials].sort()).toEqual([...names].sort())
    keeper.stop()
    const before = node.dials.length
    await run(clock, 60_000)
    expect(node.dials).toHaveLength(before)
  })
})
