/**
 * Agents in real browser pages (headless Chromium) and Node agents, joined through one Node hub
 * over websockets, decide together: every agent reaches the identical decision and certificate for
 * each built-in algorithm, with a tab and then a Node agent coordinating.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { commands } from 'vitest/browser'
import { startTestAgent, type TestAgent } from './test-agent.js'
import type { DecisionSummary, ProposeRequest } from './summary.js'

const hub = inject('hubAddr')
const nodeIds = inject('nodeAgents')
const hubId = hub.split('/p2p/').at(-1) as string

/** This page (the one vitest runs the test in) plus two more tabs opened through playwright. */
let here: TestAgent
let tabs: Array<{ tabId: string, peerId: string }> = []
let electorate: string[]

beforeAll(async () => {
  here = await startTestAgent({ hubs: [hub] })
  tabs = [await commands.openTab(hub), await commands.openTab(hub)]
  electorate = [here.peerId, ...tabs.map(t => t.peerId), ...nodeIds]
})

afterAll(async () => {
  await commands.closeTabs()
  await here?.stop()
})

/** Every agent's view of one proposal: this page, the other tabs, the Node agents. */
async function everyDecision (proposalId: string): Promise<Array<[string, DecisionSummary]>> {
  return Promise.all([
    here.decision(proposalId).then(d => ['this tab', d] as [string, DecisionSummary]),
    ...tabs.map(async (t, i) => [`tab ${i + 1}`, await commands.tabDecision(t.tabId, proposalId)] as [string, DecisionSummary]),
    ...nodeIds.map(async (_, i) => [`node ${i}`, await commands.nodeDecision(i, proposalId)] as [string, DecisionSummary])
  ])
}

interface Case {
  algorithm: string
  /** who votes against, by position in the electorate (this tab, tab 1, tab 2, node 0, node 1, node 2) */
  against: number[]
  expected: 'approved' | 'rejected'
  /** the coordinator carries 4, everybody else 1 (only for the weighted case) */
  expertCoordinator?: boolean
}

// six voters; the cases are chosen so that a wrong rule gives a different answer
const CASES: Case[] = [
  // 4 of 6 for: more than half
  { algorithm: 'quorum', against: [2, 4], expected: 'approved' },
  // 4 of 6 is exactly 2/3, not more
  { algorithm: 'supermajority', against: [2, 4], expected: 'rejected' },
  // one objection is enough
  { algorithm: 'unanimous', against: [5], expected: 'rejected' },
  // 3 of 6 by head count, but the coordinator's weight 4 makes it 6 of 9 > 0.6
  { algorithm: 'weighted', against: [1, 4, 5], expected: 'approved', expertCoordinator: true }
]

function requestFor (c: Case, coordinator: string): ProposeRequest {
  const others = electorate.filter(id => id !== coordinator)
  // positions name voters other than the coordinator, so the coordinator always votes for
  const against = c.against.map(i => electorate[i] === coordinator ? others[others.length - 1] as string : electorate[i] as string)
  return {
    algorithm: c.expertCoordinator === true ? 'expert_weighted' : c.algorithm,
    against,
    participants: electorate,
    minPeers: 1,
    ...(c.expertCoordinator === true ? { agentWeights: { [coordinator]: 4 } } : {})
  }
}

async function expectEveryAgentAgrees (c: Case, result: DecisionSummary): Promise<void> {
  expect(result.decision, c.algorithm).toBe(c.expected)
  expect(result.certificateId).toMatch(/^[0-9a-f]{64}$/)
  const views = await everyDecision(result.proposalId)
  expect(views).toHaveLength(6)
  for (const [who, view] of views) {
    expect({ who, decision: view.decision, certificateId: view.certificateId, verified: view.verifiedDecision })
      .toEqual({ who, decision: c.expected, certificateId: result.certificateId, verified: c.expected })
  }
}

describe('three tabs and three Node agents through a Node hub', () => {
  it.each(CASES)('a tab coordinates $algorithm: every agent reaches $expected with the same certificate', async (c) => {
    const coordinator = tabs[0]!
    const result = await commands.tabPropose(coordinator.tabId, requestFor(c, coordinator.peerId))
    expect(result.participants).toEqual([...electorate].sort())
    await expectEveryAgentAgrees(c, result)
  })

  it.each(CASES)('a Node agent coordinates $algorithm: every agent reaches $expected with the same certificate', async (c) => {
    const result = await commands.nodePropose(0, requestFor(c, nodeIds[0]!))
    expect(result.participants).toEqual([...electorate].sort())
    await expectEveryAgentAgrees(c, result)
  })
})

describe('the default electorate seen from a tab', () => {
  it('counts every agent behind the hub: a tab proposing without participants reaches all six', async () => {
    const others = electorate.filter(id => id !== here.peerId)
    // the tab is connected to the hub only; it learns of the others from their presence announcements
    await expect.poll(() => here.node.services.consensus.getPeers(), { timeout: 20_000 }).toEqual(expect.arrayContaining(others))
    const result = await here.propose({ algorithm: 'quorum', against: [tabs[1]!.peerId] })
    // every agent, and not the hub: it relays but has no voter, and its presence says so
    expect(result.participants).toEqual([...electorate].sort())
    expect(result.participants).not.toContain(hubId)
    // 5 of the 6 for: more than half
    await expectEveryAgentAgrees({ algorithm: 'quorum', against: [], expected: 'approved' }, result)
  })
})
