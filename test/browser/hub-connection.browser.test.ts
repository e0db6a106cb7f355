/**
 * A tab and its hub connection: a malformed hub address is refused up front with an error that
 * says what is wrong, and a tab whose hub connection drops dials it again and keeps deciding.
 */
import { afterAll, describe, expect, inject, it } from 'vitest'
import { commands } from 'vitest/browser'
import { createAgent } from '../../src/agent/index.js'
import { startTestAgent, type TestAgent } from './test-agent.js'

const hub = inject('hubAddr')
const hubId = hub.split('/p2p/').at(-1) as string
const nodeIds = inject('nodeAgents')

describe('a malformed hub address', () => {
  it.each([
    ['not a multiaddr at all', 'ws://127.0.0.1:9090', /is not a multiaddr/],
    ['without the hub\'s PeerId', '/ip4/127.0.0.1/tcp/9090/ws', /must end in \/p2p\/<peer id>/],
    ['a plain TCP address a browser cannot dial', `/ip4/127.0.0.1/tcp/9090/p2p/${hubId}`, /is not a websocket address/]
  ])('is refused with a clear error: %s', async (_what, address, message) => {
    const attempt = createAgent({ hubs: [address] })
    await expect(attempt).rejects.toThrow(message)
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidParametersError' })
  })
})

describe('a tab whose hub connection drops', () => {
  let tab: TestAgent | undefined
  afterAll(async () => { await tab?.stop() })

  it('dials the hub again and takes part in the next decision', async () => {
    tab = await startTestAgent({ hubs: [hub], redialDelayMs: 200 })
    const agent = tab
    expect(agent.isConnectedTo(hubId)).toBe(true)
    // listen before the drop: first the disconnect, then a new connection to the hub
    const dropped = new Promise<void>(resolve => {
      agent.node.addEventListener('peer:disconnect', (evt) => { if (evt.detail.toString() === hubId) resolve() })
    })
    const back = dropped.then(async () => new Promise<void>(resolve => {
      agent.node.addEventListener('peer:connect', (evt) => { if (evt.detail.toString() === hubId) resolve() })
    }))

    expect(await commands.hubHangUp(agent.peerId)).toBeGreaterThan(0)
    await dropped
    await back
    expect(agent.isConnectedTo(hubId)).toBe(true)
    // and the hub has the tab's new subscription: a proposal published before that never reaches
    // the tab (nothing re-sends an open proposal to a member who missed it; it would time out)
    await expect.poll(async () => commands.hubSubscribers(), { timeout: 10_000 }).toContain(agent.peerId)

    // gossip flows again: a Node agent's proposal reaches the tab, whose vote decides it
    const result = await commands.nodePropose(0, {
      algorithm: 'unanimous',
      against: [agent.peerId],
      participants: [nodeIds[0]!, agent.peerId],
      timeoutMs: 10_000
    })
    expect(result.decision).toBe('rejected')
    expect((await agent.decision(result.proposalId)).certificateId).toBe(result.certificateId)
  })
})
