/**
 * Tabs talk to each other directly: two Node hubs linked as a backbone (`createHub({ peers })`),
 * three headless-Chromium tabs behind each (every tab knows both hubs and prefers its own) and two
 * Node agents. The tabs find each other on the peer topic and hold direct WebRTC connections
 * (signalled through a hub's circuit relay, ICE over host candidates: no STUN on one machine); a
 * decision reaches every tab and agent with one certificate; one hub is stopped mid-vote and the
 * proposal is still decided by everyone left; the tabs behind it fail over to the other hub and
 * take part in the next decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from 'vitest/browser'
import type { BackboneInfo } from './commands.js'
import type { DecisionSummary, ProposeRequest } from './summary.js'

const TABS_PER_HUB = 3

let swarm: BackboneInfo
/** tabs[h] are the tabs that prefer hub h */
let tabs: Array<Array<{ tabId: string, peerId: string }>> = []
let electorate: string[]

beforeAll(async () => {
  swarm = await commands.startBackbone()
  tabs = [[], []]
  for (let i = 0; i < TABS_PER_HUB; i++) {
    for (const h of [0, 1]) tabs[h]!.push(await commands.openBackboneTab(h))
  }
  electorate = [...tabs.flat().map(t => t.peerId), ...swarm.nodeAgents]
}, 120_000)

afterAll(async () => {
  await commands.closeTabs()
})

const allTabs = (): Array<{ tabId: string, peerId: string }> => tabs.flat()

/** The PeerIds a tab holds a direct, unlimited WebRTC connection to. */
async function directPeers (tabId: string): Promise<string[]> {
  const links = await commands.tabLinks(tabId)
  return links.filter(l => l.kind === 'webrtc' && !l.limited && l.remoteAddr.includes('/webrtc')).map(l => l.peerId)
}

/** Every tab's and Node agent's decision on a proposal, named. */
async function everyDecision (proposalId: string): Promise<Array<[string, DecisionSummary]>> {
  return Promise.all([
    ...allTabs().map(async (t, i) => [`tab ${i}`, await commands.tabDecision(t.tabId, proposalId)] as [string, DecisionSummary]),
    ...swarm.nodeAgents.map(async (_, i) => [`node ${i}`, await commands.backboneNodeDecision(i, proposalId)] as [string, DecisionSummary])
  ])
}

async function expectEveryoneDecided (result: DecisionSummary, expected: string): Promise<void> {
  expect(result.decision).toBe(expected)
  expect(result.certificateId).toMatch(/^[0-9a-f]{64}$/)
  const views = await everyDecision(result.proposalId)
  expect(views).toHaveLength(electorate.length)
  for (const [who, view] of views) {
    expect({ who, decision: view.decision, certificateId: view.certificateId, verified: view.verifiedDecision })
      .toEqual({ who, decision: expected, certificateId: result.certificateId, verified: expected })
  }
}

function request (against: string[] = []): ProposeRequest {
  return { algorithm: 'quorum', against, participants: electorate, timeoutMs: 20_000 }
}

describe('six tabs behind two linked hubs', () => {
  it('each tab sits behind the hub it prefers', async () => {
    for (const [h, group] of tabs.entries()) {
      for (const t of group) expect(await commands.tabConnectedTo(t.tabId, swarm.hubIds[h]!), `${t.peerId} on hub ${h}`).toBe(true)
    }
  })

  it('hold direct WebRTC connections to each other, behind the same hub and across the two', async () => {
    const tabIds = new Set(allTabs().map(t => t.peerId))
    // six tabs, at most 8 direct links each: every pair links (the PeerId that sorts first dials).
    // A dial that fails (a signalling exchange cut short, seen now and then here) is retried 10 s
    // later, when the next record of that peer arrives: the mesh took 22–52 s here (52 s with the
    // two cores loaded by other suites)
    for (const t of allTabs()) {
      const others = [...tabIds].filter(id => id !== t.peerId).sort()
      await expect.poll(async () => (await directPeers(t.tabId)).filter(id => tabIds.has(id)).sort(), { timeout: 90_000, interval: 250 })
        .toEqual(others)
    }
    const firsts = await Promise.all(allTabs().map(async t => (await commands.tabWebRTCStats(t.tabId)).firstDirectLinkMs))
    // a figure, not an assertion: how long a tab took from start to its first direct link, here
    console.info(`first direct WebRTC link after tab start, ms: ${firsts.map(ms => String(ms)).join(', ')}`)
    // a direct link is its own connection, not the relayed one that signalled it
    const links = await commands.tabLinks(tabs[0]![0]!.tabId)
    const toPeer = links.filter(l => l.peerId === tabs[1]![0]!.peerId)
    expect(toPeer.some(l => l.kind === 'webrtc' && !l.limited)).toBe(true)
    expect(toPeer.filter(l => l.kind === 'relayed').every(l => l.limited)).toBe(true)
  }, 150_000)

  it('a tab coordinates: the decision reaches every tab and Node agent with one certificate', async () => {
    const coordinator = tabs[0]![0]!
    const result = await commands.tabPropose(coordinator.tabId, request([tabs[1]![2]!.peerId]))
    expect(result.participants).toEqual([...electorate].sort())
    await expectEveryoneDecided(result, 'approved')
  })

  it('a hub stopped mid-vote: the proposal is still decided by everyone left', async () => {
    // a tab behind hub 0 coordinates a unanimous proposal (every vote counts); the Node agents vote
    // 1.5 s after they see it, so hub 0 goes while their votes are still to come
    const coordinator = tabs[0]![1]!
    const pending = commands.tabPropose(coordinator.tabId, { ...request(), algorithm: 'unanimous' })
    await new Promise(resolve => setTimeout(resolve, 300))
    await commands.backboneStopHub(0)
    const result = await pending
    await expectEveryoneDecided(result, 'approved')
    expect(result.votesFor).toBe(electorate.length)
  })

  it('the tabs behind the stopped hub fail over to the other one and take part in the next decision', async () => {
    for (const t of tabs[0]!) {
      await expect.poll(async () => commands.tabConnectedTo(t.tabId, swarm.hubIds[1]!), { timeout: 20_000, interval: 250 }).toBe(true)
    }
    // unanimous, and a tab that was behind the stopped hub objects: the rejection needs its vote
    const result = await commands.backboneNodePropose(1, { ...request([tabs[0]![2]!.peerId]), algorithm: 'unanimous' })
    await expectEveryoneDecided(result, 'rejected')
    expect(result.votesAgainst).toBe(1)
  })
})
