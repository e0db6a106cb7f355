/**
 * vitest browser commands: they run in the vitest process, next to the hub and Node agents that
 * `hub.global-setup.ts` started, and let a test in a tab open more tabs (real playwright pages in
 * the same browser context, each loading `fixtures/tab.html` from vitest's vite server) and drive
 * the Node agents. Arguments and results are plain JSON.
 */
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { rendezvousOrder } from '../../src/agent/rendezvous.js'
import { createHub } from '../../src/hub/index.js'
import { sharedState, type BackboneSwarm, type NodeSwarm } from './shared-state.js'
import { startTestAgent } from './test-agent.js'
import type { TabLink, TabStartInit, WebRTCStats } from './fixtures/tab.js'
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
    /** The tab's open connections: peer, kind (`webrtc`, `relayed`, `websocket`...), limited or not, remote address. */
    tabLinks: (tabId: string) => Promise<TabLink[]>
    /** What the tab's WebRTC peer service did (announcements, records, dials, failures) and its addresses. */
    tabWebRTCStats: (tabId: string) => Promise<WebRTCStats>
    /** Start (once) two hubs linked by `peers` and Node agents that know both; their addresses and PeerIds. */
    startBackbone: () => Promise<BackboneInfo>
    /**
     * Open a tab that knows both backbone hubs and prefers `hubIndex` (its key is picked so that its
     * rendezvous order puts that hub first), with WebRTC on and host ICE candidates only.
     */
    openBackboneTab: (hubIndex: number) => Promise<{ tabId: string, peerId: string }>
    /** The backbone's Node agent at `index` proposes and returns its decision. */
    backboneNodePropose: (index: number, request: ProposeRequest) => Promise<DecisionSummary>
    /** The decision the backbone's Node agent at `index` reached on a proposal. */
    backboneNodeDecision: (index: number, proposalId: string) => Promise<DecisionSummary>
    /** Stop one backbone hub (its agents and tabs fail over to the other). */
    backboneStopHub: (hubIndex: number) => Promise<void>
  }
}

/** What `startBackbone` tells a test. */
export interface BackboneInfo {
  hubAddrs: string[]
  hubIds: string[]
  nodeAgents: string[]
}

/** Options of an agent started in an extra tab. */
export type TabInit = TabStartInit

/** Node agents of the backbone; they vote this long after a proposal arrives, so a test can stop a hub mid-vote. */
const BACKBONE_AGENTS = 2
const BACKBONE_VOTE_DELAY_MS = 1500

async function startBackboneSwarm (): Promise<BackboneSwarm> {
  const first = await createHub()
  const firstAddr = wsAddr(first.multiaddrs)
  const second = await createHub({ peers: [firstAddr], redialDelayMs: 500 })
  const hubs = [first, second]
  const hubAddrs = [firstAddr, wsAddr(second.multiaddrs)]
  const agents = []
  for (let i = 0; i < BACKBONE_AGENTS; i++) agents.push(await startTestAgent({ hubs: hubAddrs, redialDelayMs: 500 }, BACKBONE_VOTE_DELAY_MS))
  return { hubs, hubAddrs, agents }
}

function wsAddr (addrs: string[]): string {
  const addr = addrs.find(a => a.includes('/ws/p2p/'))
  if (addr === undefined) throw new Error(`the hub listens on no websocket address: ${addrs.join(', ')}`)
  return addr
}

async function backbone (): Promise<BackboneSwarm> {
  const pending = sharedState().backbone
  if (pending === undefined) throw new Error('the backbone is not running: call startBackbone first')
  return pending
}

/** A fresh key whose rendezvous order over `hubIds` puts `hubIds[preferred]` first (one in two keys does, for two hubs). */
async function keyPreferring (hubIds: string[], preferred: number): Promise<string> {
  for (;;) {
    const key = await generateKeyPair('Ed25519')
    if (rendezvousOrder(peerIdFromPrivateKey(key).toString(), hubIds)[0] === hubIds[preferred]) {
      return uint8ArrayToString(privateKeyToProtobuf(key), 'base64')
    }
  }
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

const openTab: BrowserCommand<[hub: string | string[], init?: TabInit]> = async (ctx: BrowserCommandContext, hub, init = {}) => {
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
  }) satisfies BrowserCommand<[string]>,
  tabLinks: (async (_ctx, tabId: string) => tab(tabId).evaluate(() => window.consensusTab!.links())) satisfies BrowserCommand<[string]>,
  tabWebRTCStats: (async (_ctx, tabId: string) => tab(tabId).evaluate(() => window.consensusTab!.webrtcStats())) satisfies BrowserCommand<[string]>,
  startBackbone: (async () => {
    const state = sharedState()
    state.backbone ??= startBackboneSwarm()
    const { hubs, hubAddrs, agents } = await state.backbone
    return { hubAddrs, hubIds: hubs.map(h => h.peerId), nodeAgents: agents.map(a => a.peerId) }
  }) satisfies BrowserCommand<[]>,
  openBackboneTab: (async (ctx, hubIndex: number) => {
    const { hubs, hubAddrs } = await backbone()
    const privateKey = await keyPreferring(hubs.map(h => h.peerId), hubIndex)
    // its own hub first, though the agent orders them by rendezvous anyway
    const ordered = [hubAddrs[hubIndex]!, ...hubAddrs.filter((_, i) => i !== hubIndex)]
    // a WebRTC dial to a tab behind the other hub opens a connection to that hub for its signalling:
    // the agent's connection keeper leaves it alone (it closes only surplus connections it dialed)
    return openTab(ctx, ordered, { privateKey, redialDelayMs: 500, rtcConfiguration: { iceServers: [] } })
  }) satisfies BrowserCommand<[number]>,
  backboneNodePropose: (async (_ctx, index: number, request: ProposeRequest) =>
    (await backboneAgent(index)).propose(request)) satisfies BrowserCommand<[number, ProposeRequest]>,
  backboneNodeDecision: (async (_ctx, index: number, proposalId: string) =>
    (await backboneAgent(index)).decision(proposalId)) satisfies BrowserCommand<[number, string]>,
  backboneStopHub: (async (_ctx, hubIndex: number) => {
    const hub = (await backbone()).hubs[hubIndex]
    if (hub === undefined) throw new Error(`no backbone hub ${hubIndex}`)
    await hub.stop()
  }) satisfies BrowserCommand<[number]>
}

async function backboneAgent (index: number): Promise<BackboneSwarm['agents'][number]> {
  const agent = (await backbone()).agents[index]
  if (agent === undefined) throw new Error(`no backbone Node agent ${index}`)
  return agent
}
