/**
 * vitest browser commands: they run in the vitest process, next to the hub and Node agents that
 * `hub.global-setup.ts` started, and let a test in a tab open more tabs (real playwright pages in
 * the same browser context, each loading `fixtures/tab.html` from vitest's vite server) and drive
 * the Node agents. Arguments and results are plain JSON.
 */
import { sharedState, type NodeSwarm } from './shared-state.js'
import type { DecisionSummary, ProposeRequest } from './summary.js'
import type { Page } from 'playwright'
import type { BrowserCommand, BrowserCommandContext } from 'vitest/node'

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Open a new tab that starts an agent joined to `hub`; its id for the `tab*` commands and its PeerId. */
    openTab: (hub: string, init?: TabInit) => Promise<{ tabId: string, peerId: string }>
    /** The tab proposes and returns its own decision. */
    tabPropose: (tabId: string, request: ProposeRequest) => Promise<DecisionSummary>
    /** The decision the tab reached on a proposal. */
    tabDecision: (tabId: string, proposalId: string) => Promise<DecisionSummary>
    /** Whether the tab has an open connection to a peer. */
    tabConnectedTo: (tabId: string, peerId: string) => Promise<boolean>
    /** Close every tab `openTab` opened. */
    closeTabs: () => Promise<void>
    /** The Node agent at `index` (of `inject('nodeAgents')`) proposes and returns its decision. */
    nodePropose: (index: number, request: ProposeRequest) => Promise<DecisionSummary>
    /** The decision the Node agent at `index` reached on a proposal. */
    nodeDecision: (index: number, proposalId: string) => Promise<DecisionSummary>
    /** The peers the hub's gossipsub has seen subscribe to the consensus topic (and not leave). */
    hubSubscribers: () => Promise<string[]>
    /** The hub closes its connections to a peer (as a network drop would). */
    hubHangUp: (peerId: string) => Promise<number>
  }
}

/** Options of an agent started in an extra tab. */
export interface TabInit {
  redialDelayMs?: number
}

async function swarm (): Promise<NodeSwarm> {
  const pending = sharedState().swarm
  if (pending === undefined) throw new Error('the Node swarm is not running: is test/browser/hub.global-setup.ts the globalSetup of this project?')
  return pending
}

function tab (tabId: string): Page {
  const page = sharedState().tabs.get(tabId)
  if (page === undefined) throw new Error(`no open tab ${tabId}`)
  return page
}

async function nodeAgent (index: number): Promise<NodeSwarm['agents'][number]> {
  const agent = (await swarm()).agents[index]
  if (agent === undefined) throw new Error(`no Node agent ${index}`)
  return agent
}

const openTab: BrowserCommand<[hub: string, init?: TabInit]> = async (ctx: BrowserCommandContext, hub, init = {}) => {
  const state = sharedState()
  // the page the test runs in is served by vitest's vite server, which serves the fixture too
  const origin = new URL(ctx.page.url()).origin
  const page = await ctx.context.newPage()
  const tabId = `tab-${state.nextTab++}`
  state.tabs.set(tabId, page)
  await page.goto(`${origin}/test/browser/fixtures/tab.html`)
  await page.waitForFunction(() => window.consensusTab !== undefined, undefined, { timeout: 30_000 })
  const peerId = await page.evaluate(async ([hub, init]) => window.consensusTab!.start(hub, init), [hub, init] as const)
  return { tabId, peerId }
}

/** The commands of the browser project (see `vite.config.ts`). */
export const browserCommands: Record<string, BrowserCommand<any>> = {
  openTab,
  tabPropose: (async (_ctx, tabId: string, request: ProposeRequest) =>
    tab(tabId).evaluate(async (request) => window.consensusTab!.propose(request), request)) satisfies BrowserCommand<[string, ProposeRequest]>,
  tabDecision: (async (_ctx, tabId: string, proposalId: string) =>
    tab(tabId).evaluate(async (proposalId) => window.consensusTab!.decision(proposalId), proposalId)) satisfies BrowserCommand<[string, string]>,
  tabConnectedTo: (async (_ctx, tabId: string, peerId: string) =>
    tab(tabId).evaluate((peerId) => window.consensusTab!.isConnectedTo(peerId), peerId)) satisfies BrowserCommand<[string, string]>,
  closeTabs: (async () => {
    const { tabs } = sharedState()
    for (const page of tabs.values()) {
      await page.evaluate(async () => window.consensusTab?.stop()).catch(() => {})
      await page.close()
    }
    tabs.clear()
  }) satisfies BrowserCommand<[]>,
  nodePropose: (async (_ctx, index: number, request: ProposeRequest) =>
    (await nodeAgent(index)).propose(request)) satisfies BrowserCommand<[number, ProposeRequest]>,
  nodeDecision: (async (_ctx, index: number, proposalId: string) => (await nodeAgent(index)).decision(proposalId)) satisfies BrowserCommand<[number, string]>,
  hubSubscribers: (async () => {
    const { hub } = await swarm()
    return hub.node.services.pubsub.getSubscribers(hub.consensus.topic).map(String)
  }) satisfies BrowserCommand<[]>,
  hubHangUp: (async (_ctx, peerId: string) => {
    const { hub } = await swarm()
    const connections = hub.node.getConnections().filter(c => c.remotePeer.toString() === peerId)
    await Promise.all(connections.map(async c => { await c.close() }))
    return connections.length
  }) satisfies BrowserCommand<[string]>
}
